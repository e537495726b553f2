//! The analyzer's state in the store: one sealed entry per engine state entry (correlation
//! group, first-seen value, suppression key, meta) plus one for the enrichment context, each
//! stored under a keyed hash of its name. A batch writes only what it changed, in its own
//! transaction; loading restores from the entries, or migrates the single sealed snapshot
//! that schema-v1 data dirs kept under [`LEGACY_KEY`].

use anyhow::Context;
use tripline_store::{StateChanges, Store};

use super::analyze::Analyzer;
use super::enrich::EnrichEntry;
use super::seal::Sealer;

/// The `state` key under which earlier versions stored the whole sealed snapshot.
pub const LEGACY_KEY: &str = "engine";

/// Logical name of the single entry that held the whole enrichment context before it was
/// stored per conversation (engine entry names are JSON arrays).
const LEGACY_ENRICH_NAME: &str = "enrich";
/// First byte of a sealed entry's plaintext: which part of the analyzer it belongs to.
const TAG_ENGINE: u8 = b'e';
/// The whole enrichment context in one entry (written by earlier versions; read only).
const TAG_ENRICH_WHOLE: u8 = b'c';
/// One enrichment entry (a conversation, a pending decision, or the meta entry).
const TAG_ENRICH: u8 = b'n';

/// One batch's sealed state changes.
#[derive(Debug, Default)]
pub struct SealedDelta {
    /// (stored key, sealed entry)
    pub upserts: Vec<(String, Vec<u8>)>,
    /// stored keys to delete
    pub removals: Vec<String>,
}

impl SealedDelta {
    /// The store's view of it.
    pub fn changes(&self) -> StateChanges<'_> {
        StateChanges {
            upserts: &self.upserts,
            removals: &self.removals,
        }
    }
}

/// Where the state came from at startup.
#[derive(Debug, PartialEq, Eq)]
pub enum Loaded {
    /// nothing stored yet
    Nothing,
    /// this many entries
    Entries(usize),
    /// the legacy single snapshot (migrate it with [`StateSync::migrate`])
    Legacy,
}

/// Keeps the analyzer's state and the store's entries in step.
#[derive(Debug, Default)]
pub struct StateSync {
    /// the store holds the enrichment context as one whole entry (an earlier version's
    /// format): the next delta rewrites it as entries and deletes the whole one
    legacy_enrich: bool,
}

fn tagged(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    out.push(tag);
    out.extend_from_slice(bytes);
    out
}

/// Seal enrichment entries as (stored key, sealed value).
fn seal_enrich(
    sealer: &Sealer,
    entries: &[(String, EnrichEntry)],
    out: &mut Vec<(String, Vec<u8>)>,
) -> anyhow::Result<()> {
    for (name, entry) in entries {
        let json = serde_json::to_vec(entry)?;
        out.push((
            sealer.entry_id(name),
            sealer.seal(&tagged(TAG_ENRICH, &json))?,
        ));
    }
    Ok(())
}

impl StateSync {
    /// Restore `analyzer` from the store: the entries if there are any, else the legacy
    /// snapshot.
    pub fn load(
        &mut self,
        store: &Store,
        analyzer: &mut Analyzer,
        sealer: &Sealer,
    ) -> anyhow::Result<Loaded> {
        let entries = store.load_state_entries()?;
        if !entries.is_empty() {
            let n = entries.len();
            self.restore(analyzer, sealer, entries)?;
            return Ok(Loaded::Entries(n));
        }
        match store.load_state(LEGACY_KEY)? {
            Some(blob) => {
                analyzer
                    .restore(&sealer.open(&blob)?)
                    .context("restoring the detection engine's saved state")?;
                self.legacy_enrich = false;
                Ok(Loaded::Legacy)
            }
            None => Ok(Loaded::Nothing),
        }
    }

    fn restore(
        &mut self,
        analyzer: &mut Analyzer,
        sealer: &Sealer,
        blobs: Vec<Vec<u8>>,
    ) -> anyhow::Result<()> {
        let mut engine = Vec::with_capacity(blobs.len());
        let mut enrich = Vec::new();
        let mut whole = None;
        for blob in blobs {
            let plain = sealer.open(&blob)?;
            match plain.split_first() {
                Some((&TAG_ENGINE, rest)) => engine.push(rest.to_vec()),
                Some((&TAG_ENRICH, rest)) => enrich.push(
                    serde_json::from_slice::<EnrichEntry>(rest)
                        .context("invalid stored enrichment entry")?,
                ),
                Some((&TAG_ENRICH_WHOLE, rest)) => whole = Some(rest.to_vec()),
                _ => anyhow::bail!("a stored engine state entry has an unknown format"),
            }
        }
        analyzer
            .engine_mut()
            .restore_entries(engine)
            .map_err(anyhow::Error::msg)
            .context("restoring the detection engine's saved state")?;
        self.legacy_enrich = whole.is_some();
        match whole {
            Some(bytes) => {
                let v: serde_json::Value =
                    serde_json::from_slice(&bytes).context("invalid stored enrichment state")?;
                analyzer.enricher_mut().restore(v)?;
            }
            None => analyzer.enricher_mut().restore_entries(enrich)?,
        }
        Ok(())
    }

    /// Write the whole state as entries, replacing whatever entries and legacy snapshot
    /// the store holds, in one transaction.
    pub fn migrate(
        &mut self,
        store: &mut Store,
        analyzer: &mut Analyzer,
        sealer: &Sealer,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        let mut all = Vec::new();
        for (name, bytes) in analyzer.engine().state_entries() {
            all.push((
                sealer.entry_id(&name),
                sealer.seal(&tagged(TAG_ENGINE, &bytes))?,
            ));
        }
        seal_enrich(sealer, &analyzer.enricher().all_entries(), &mut all)?;
        store.replace_state_entries(&all, &[LEGACY_KEY], now_ms)?;
        analyzer.engine_mut().mark_committed();
        analyzer.enricher_mut().mark_committed();
        self.legacy_enrich = false;
        Ok(())
    }

    /// The sealed changes since the last commit.
    pub fn delta(&self, analyzer: &Analyzer, sealer: &Sealer) -> anyhow::Result<SealedDelta> {
        let d = analyzer.engine().state_delta();
        let mut out = SealedDelta::default();
        for (name, bytes) in &d.upserts {
            out.upserts.push((
                sealer.entry_id(name),
                sealer.seal(&tagged(TAG_ENGINE, bytes))?,
            ));
        }
        out.removals = d
            .removals
            .iter()
            .map(|name| sealer.entry_id(name))
            .collect();
        let enricher = analyzer.enricher();
        if self.legacy_enrich {
            seal_enrich(sealer, &enricher.all_entries(), &mut out.upserts)?;
            out.removals.push(sealer.entry_id(LEGACY_ENRICH_NAME));
        } else {
            let e = enricher.delta();
            seal_enrich(sealer, &e.upserts, &mut out.upserts)?;
            out.removals
                .extend(e.removals.iter().map(|name| sealer.entry_id(name)));
        }
        Ok(out)
    }

    /// The last `delta` is committed.
    pub fn committed(&mut self, analyzer: &mut Analyzer) {
        analyzer.engine_mut().mark_committed();
        analyzer.enricher_mut().mark_committed();
        self.legacy_enrich = false;
    }

    /// A batch failed to commit: bring the analyzer back to the committed state.
    pub fn roll_back(&mut self, store: &Store, analyzer: &mut Analyzer, sealer: &Sealer) {
        analyzer.reset();
        self.legacy_enrich = false;
        let ok = store
            .load_state_entries()
            .map_err(anyhow::Error::from)
            .and_then(|entries| self.restore(analyzer, sealer, entries));
        if let Err(e) = ok {
            tracing::error!("reloading the committed engine state failed, starting empty: {e:#}");
            analyzer.reset();
            self.legacy_enrich = false;
        }
    }
}

#[cfg(test)]
mod tests;
