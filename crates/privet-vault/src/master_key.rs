//! The master key: where it comes from, and how it is created.
//!
//! The master key wraps every key in the vault. It must live *outside* the data directory, so that a copy of the
//! data directory (a stolen disk, a leaked backup) cannot open the vault. It is read, in order, from:
//!
//! 1. `PRIVET_MASTER_KEY`: the key itself, 64 hex characters (or 32 bytes in base64), e.g. from a secrets manager;
//! 2. `PRIVET_MASTER_KEY_FILE` or the `vault.master_key_file` setting: a file holding the key;
//! 3. the default file `<data-dir>.master-key` beside (not inside) the data directory, which `privet serve` creates
//!    on first start so that a new user needs nothing but the binary; move it to a secrets manager for production.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::VaultError;
use crate::crypto::Key;

/// Where the master key was found, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    Env,
    File(PathBuf),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env => f.write_str("PRIVET_MASTER_KEY"),
            KeySource::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The master key file used when none is configured: `<data-dir>.master-key`, beside the data directory.
pub fn default_key_file(data_dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "privet-data".into());
    absolute.with_file_name(format!("{name}.master-key"))
}

/// Parses a key given as 64 hex characters or base64 of 32 bytes.
pub fn parse_key(text: &str) -> Result<Key, VaultError> {
    let text = text.trim();
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or(VaultError::BadMasterKey)?;
    Ok(Key::from_bytes(bytes))
}

/// Reads a key file.
pub fn read_key_file(path: &Path) -> Result<Key, VaultError> {
    let text = std::fs::read_to_string(path).map_err(|e| VaultError::MasterKeyUnreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the master key file is readable by other users; run `chmod 600` on it"
            );
        }
    }
    parse_key(&text)
}

/// Writes a new random key to `path` (readable by its owner only). Refuses to overwrite an existing file.
pub fn create_key_file(path: &Path) -> Result<Key, VaultError> {
    let key = Key::random();
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => VaultError::MasterKeyExists(path.to_path_buf()),
        _ => VaultError::Io(e),
    })?;
    file.write_all(format!("{}\n", hex::encode(key.as_bytes())).as_bytes())?;
    file.sync_all()?;
    Ok(key)
}

/// Finds the master key from the environment, then `configured` (a file), then the default file.
/// Returns `Ok(None)` when no key exists anywhere yet.
pub fn find(
    configured: Option<&Path>,
    data_dir: &Path,
) -> Result<Option<(Key, KeySource)>, VaultError> {
    if let Ok(text) = std::env::var("PRIVET_MASTER_KEY") {
        return parse_key(&text).map(|k| Some((k, KeySource::Env)));
    }
    let env_file = std::env::var_os("PRIVET_MASTER_KEY_FILE").map(PathBuf::from);
    let path = env_file
        .or_else(|| configured.map(Path::to_path_buf))
        .unwrap_or_else(|| default_key_file(data_dir));
    check_outside(&path, data_dir)?;
    if !path.exists() {
        return Ok(None);
    }
    read_key_file(&path).map(|k| Some((k, KeySource::File(path))))
}

/// The file [`find`] would use (for creating it).
pub fn key_file_path(configured: Option<&Path>, data_dir: &Path) -> PathBuf {
    std::env::var_os("PRIVET_MASTER_KEY_FILE")
        .map(PathBuf::from)
        .or_else(|| configured.map(Path::to_path_buf))
        .unwrap_or_else(|| default_key_file(data_dir))
}

/// Refuses a key file inside the data directory: a copy of the directory would then carry its own key.
pub fn check_outside(key_file: &Path, data_dir: &Path) -> Result<(), VaultError> {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let key_dir = key_file.parent().map(absolute).unwrap_or_default();
    if key_dir.starts_with(absolute(data_dir)) {
        return Err(VaultError::MasterKeyInsideDataDir(key_file.to_path_buf()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_is_beside_the_data_directory() {
        let file = default_key_file(Path::new("/srv/privet-data"));
        assert_eq!(file, Path::new("/srv/privet-data.master-key"));
        assert!(check_outside(&file, Path::new("/srv/privet-data")).is_ok());
        assert!(matches!(
            check_outside(
                Path::new("/srv/privet-data/secrets/master.key"),
                Path::new("/srv/privet-data")
            ),
            Err(VaultError::MasterKeyInsideDataDir(_))
        ));
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_files_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let key = create_key_file(&path).unwrap();
        assert!(matches!(
            create_key_file(&path),
            Err(VaultError::MasterKeyExists(_))
        ));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(parse_key(&text).unwrap().as_bytes(), key.as_bytes());
        let b64 = base64::engine::general_purpose::STANDARD.encode(key.as_bytes());
        assert_eq!(parse_key(&b64).unwrap().as_bytes(), key.as_bytes());
        assert!(parse_key("nope").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
