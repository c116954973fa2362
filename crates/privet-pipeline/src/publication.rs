//! The store's view of k-anonymity at rest: the project's `k` (from the policy) and the vault's seal and
//! published sets, behind `privet_model::withheld::Publisher`.

use std::sync::Arc;

use privet_model::ProjectId;
use privet_model::withheld::{Dimension, Publisher, Withheld};
use privet_vault::Vault;

use crate::Pipeline;

/// Hands the store what it needs to publish withheld values.
pub struct VaultPublisher {
    pipeline: Arc<Pipeline>,
    vault: Vault,
}

impl VaultPublisher {
    pub fn new(pipeline: Arc<Pipeline>, vault: Vault) -> Self {
        VaultPublisher { pipeline, vault }
    }
}

impl Publisher for VaultPublisher {
    fn k(&self, project: i64) -> usize {
        self.pipeline.compiled(ProjectId(project)).config.k
    }

    fn seal(&self, project: i64, withheld: &Withheld) -> Vec<u8> {
        self.vault.seal_withheld(project, withheld)
    }

    fn open(&self, project: i64, sealed: &[u8]) -> Option<Withheld> {
        self.vault.open_withheld(project, sealed)
    }

    fn is_published(&self, project: i64, dimension: Dimension, key: &str) -> bool {
        self.vault.is_published(project, dimension, key)
    }

    fn publish(&self, project: i64, keys: &[(Dimension, String)]) {
        self.vault.publish(project, keys);
    }

    fn allows(&self, project: i64, dimension: Dimension) -> bool {
        // Called for every sealed row a publication pass counts: the compiled policy, not a copy of it.
        let precision = self
            .pipeline
            .compiled(ProjectId(project))
            .config
            .location_precision;
        crate::transforms::location::allows(precision, dimension)
    }
}
