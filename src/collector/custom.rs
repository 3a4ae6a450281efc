//! Custom collectors: folders in `collectors/` run as external processes (PLACEHOLDER).

use std::path::Path;

use async_trait::async_trait;

use super::{CollectError, Collected, Collector, Descriptor, RunContext};
use crate::vault::StagedRun;

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot read {0}")]
    Unreadable(String),
}

pub struct CustomCollector {
    descriptor: Descriptor,
}

pub fn discover(_dir: &Path) -> Result<Vec<CustomCollector>, DiscoverError> {
    Ok(Vec::new())
}

#[async_trait]
impl Collector for CustomCollector {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }
    async fn collect(
        &self,
        _ctx: &RunContext,
        _run: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        Err(CollectError::Failed {
            reason: "placeholder".into(),
            partial: Box::default(),
        })
    }
}
