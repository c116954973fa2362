//! Runs the real `privet serve` binary on 127.0.0.1 with a fresh data directory, and reads its memory and CPU
//! use from `/proc` while the benchmark runs.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

/// A running `privet serve`.
pub struct Server {
    child: Child,
    pub url: String,
    pub token: String,
    pub admin_key: String,
    pub data_dir: PathBuf,
    bin: PathBuf,
}

impl Server {
    /// Starts `bin serve` on a free port and waits until it is ready.
    pub fn start(bin: &Path, data_dir: &Path, env: &[(String, String)]) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("PRIVET_LOG__LEVEL", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot run {}; build it with `cargo build --release -p privet-cli`",
                    bin.display()
                )
            })?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let (mut token, mut admin_key, mut url) = (None, None, None);
        for line in lines.by_ref() {
            let line = line?;
            let last_word = || line.split_whitespace().last().map(str::to_string);
            if line.contains("project token") {
                token = last_word();
            } else if line.contains("admin API key") {
                admin_key = last_word();
            } else if let Some(rest) = line.strip_prefix("Privet is listening on ") {
                url = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        // Keep draining stdout so that the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let (Some(token), Some(admin_key), Some(url)) = (token, admin_key, url) else {
            let _ = child.kill();
            bail!(
                "privet serve did not print its token, admin key and address; is the data directory fresh?"
            );
        };
        Ok(Server {
            child,
            url,
            token,
            admin_key,
            data_dir: data_dir.to_path_buf(),
            bin: bin.to_path_buf(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Creates a key with `role` through the CLI (as an operator would) and returns it.
    pub fn create_key(&self, role: &str) -> anyhow::Result<String> {
        let out = Command::new(&self.bin)
            .args([
                "key",
                "create",
                "--role",
                role,
                "--project",
                "default",
                "--data-dir",
            ])
            .arg(&self.data_dir)
            .output()?;
        if !out.status.success() {
            bail!(
                "privet key create failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let stdout = String::from_utf8(out.stdout)?;
        stdout
            .lines()
            .last()
            .map(|l| l.trim().to_string())
            .context("privet key create printed nothing")
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .arg(self.child.id().to_string())
            .status()?;
        for _ in 0..300 {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory and CPU time of a process, from `/proc/PID/status` and `/proc/PID/stat`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub rss_bytes: u64,
    pub cpu_seconds: f64,
}

impl Usage {
    pub fn read(pid: u32) -> Usage {
        let rss_bytes = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map_or(0, |kb| kb * 1024);
        let cpu_seconds = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                // Fields after the command name (which may contain spaces) start after the last ')'.
                let rest = &stat[stat.rfind(')')? + 2..];
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let utime: f64 = fields.get(11)?.parse().ok()?;
                let stime: f64 = fields.get(12)?.parse().ok()?;
                Some((utime + stime) / clock_ticks())
            })
            .unwrap_or(0.0);
        Usage {
            rss_bytes,
            cpu_seconds,
        }
    }
}

fn clock_ticks() -> f64 {
    // USER_HZ is 100 on every Linux architecture Privet runs on.
    100.0
}
