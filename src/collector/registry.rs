//! The set of collectors this agent knows: built-in ones and those found in `collectors/`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::Collector;
use super::custom::{self, DiscoverError};

/// All known collectors by name.
#[derive(Clone, Default)]
pub struct Registry {
    collectors: BTreeMap<String, Arc<dyn Collector>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    #[error("two collectors are named `{0}`: rename one of them")]
    Duplicate(String),
    #[error("unknown collector `{name}`; known collectors: {known}")]
    Unknown { name: String, known: String },
}

impl Registry {
    /// Built-in collectors plus every custom collector folder in `collectors_dir`.
    pub fn load(collectors_dir: &Path) -> Result<Registry, RegistryError> {
        let mut reg = Registry::default();
        reg.add(Arc::new(super::github::GithubPullRequests::default()))?;
        reg.add(Arc::new(super::aws_iam::AwsIam::default()))?;
        reg.add(Arc::new(super::tls::TlsEndpoints::default()))?;
        reg.add(Arc::new(super::scan_reports::ScanReports::default()))?;
        for c in custom::discover(collectors_dir)? {
            reg.add(Arc::new(c))?;
        }
        Ok(reg)
    }

    pub fn add(&mut self, c: Arc<dyn Collector>) -> Result<(), RegistryError> {
        let name = c.descriptor().name.clone();
        if self.collectors.contains_key(&name) {
            return Err(RegistryError::Duplicate(name));
        }
        self.collectors.insert(name, c);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<Arc<dyn Collector>, RegistryError> {
        self.collectors
            .get(name)
            .cloned()
            .ok_or_else(|| RegistryError::Unknown {
                name: name.to_string(),
                known: self.names().join(", "),
            })
    }

    pub fn names(&self) -> Vec<String> {
        self.collectors.keys().cloned().collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Collector>> {
        self.collectors.values()
    }
}
