//! Reading a file's bytes within the ingest's limits: the process's memory, checked as the bytes
//! are read, and the size of one element of a streamed list (one user, role or policy of an
//! authorization dump), so that one hostile element is refused after a bounded read instead of
//! being parsed whole.

use std::cell::{Cell, RefCell};
use std::io::Read;
use std::rc::Rc;

/// Largest JSON text of one element of a streamed list (a user, group, role or managed policy
/// with its documents) or of one other top-level member of a file read by its content. AWS bounds
/// an entity's policies to a few tens of KiB; the policy parser bounds one document to 1 MiB.
pub(crate) const MAX_ELEMENT_BYTES: u64 = 16 * 1024 * 1024;

/// How often, in bytes read, the process's memory is compared with the budget.
const CHECK_EVERY_BYTES: u64 = 1024 * 1024;

/// The limits of reading one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    /// The most memory the process may hold while it ingests, in bytes (`None`: no bound).
    pub(crate) memory: Option<u64>,
    /// The most bytes one element may take ([`MAX_ELEMENT_BYTES`]; less in tests).
    pub(crate) element_bytes: u64,
}

impl Limits {
    /// The ingest's limits with a memory budget.
    pub(crate) fn with_memory(memory: Option<u64>) -> Limits {
        Limits {
            memory,
            element_bytes: MAX_ELEMENT_BYTES,
        }
    }

    /// Whether the process holds more than the memory budget: the message saying so.
    fn exceeded(self) -> Option<String> {
        let limit = self.memory?;
        let held = resident_bytes()?;
        (held > limit).then(|| {
            format!(
                "the ingest holds {} of memory, more than its limit of {} (--max-memory)",
                human_bytes(held),
                human_bytes(limit)
            )
        })
    }
}

/// Half of the machine's physical memory: the default memory limit of an ingest (`None` where the
/// system does not say).
#[must_use]
pub fn default_max_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    kibibytes_field(&text, "MemTotal:").map(|total| total / 2)
}

/// The process's resident memory (Linux: `/proc/self/status`; elsewhere unknown, no check).
fn resident_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    kibibytes_field(&text, "VmRSS:")
}

/// A `NAME:   123 kB` line of a `/proc` file, in bytes.
fn kibibytes_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|line| line.starts_with(name))?;
    let kib: u64 = line
        .get(name.len()..)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// Bytes as `1.5 GiB`, `12.0 MiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS.get(unit).copied().unwrap_or("GiB"))
    }
}

/// What a reader and the parser reading through it share: the position, where the element being
/// read started, and why reading was refused.
#[derive(Debug, Default)]
pub(crate) struct Gauge {
    read: Cell<u64>,
    element_start: Cell<Option<u64>>,
    element_path: RefCell<String>,
    refusal: RefCell<Option<Refusal>>,
}

/// Why a reader refused to read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// One element is larger than the limit: the limit.
    Element(u64),
    /// The process holds more memory than the budget: the message.
    Memory(String),
}

impl Gauge {
    /// The element at JSON `path` starts here: the bytes read from now on are bounded by the
    /// element limit.
    pub(crate) fn start_element(&self, path: String) {
        self.element_start.set(Some(self.read.get()));
        *self.element_path.borrow_mut() = path;
    }

    /// The JSON path of the element being read.
    pub(crate) fn element_path(&self) -> String {
        self.element_path.borrow().clone()
    }

    /// Why reading stopped, if a limit stopped it.
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        self.refusal.borrow().clone()
    }

    /// The bytes read so far.
    pub(crate) fn position(&self) -> u64 {
        self.read.get()
    }
}

/// A reader that counts, bounds one element and checks the memory budget every MiB.
pub(crate) struct Metered<R> {
    inner: R,
    gauge: Rc<Gauge>,
    limits: Limits,
    next_check: u64,
}

impl<R: Read> Metered<R> {
    pub(crate) fn new(inner: R, gauge: Rc<Gauge>, limits: Limits) -> Metered<R> {
        Metered {
            inner,
            gauge,
            limits,
            next_check: 0,
        }
    }

    fn refuse(&self, refusal: Refusal) -> std::io::Error {
        *self.gauge.refusal.borrow_mut() = Some(refusal);
        std::io::Error::other("a limit of the ingest was reached")
    }
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        let position = self.gauge.read.get() + read as u64;
        self.gauge.read.set(position);
        if let Some(start) = self.gauge.element_start.get() {
            if position - start > self.limits.element_bytes {
                return Err(self.refuse(Refusal::Element(self.limits.element_bytes)));
            }
        }
        if position >= self.next_check {
            self.next_check = position + CHECK_EVERY_BYTES;
            if let Some(message) = self.limits.exceeded() {
                return Err(self.refuse(Refusal::Memory(message)));
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::rc::Rc;

    use super::{Gauge, Limits, MAX_ELEMENT_BYTES, Metered, Refusal, human_bytes};

    #[test]
    fn an_element_is_bounded_from_where_it_starts() {
        let bytes = vec![b' '; (MAX_ELEMENT_BYTES + 10) as usize];
        let gauge = Rc::new(Gauge::default());
        let mut reader = Metered::new(bytes.as_slice(), gauge.clone(), Limits::with_memory(None));
        let mut sink = Vec::new();
        // Without an element started, the whole text reads.
        assert!(reader.read_to_end(&mut sink).is_ok());
        let gauge = Rc::new(Gauge::default());
        let mut reader = Metered::new(bytes.as_slice(), gauge.clone(), Limits::with_memory(None));
        gauge.start_element("$.a[0]".to_owned());
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
        assert_eq!(gauge.refusal(), Some(Refusal::Element(MAX_ELEMENT_BYTES)));
        assert_eq!(gauge.element_path(), "$.a[0]");
    }

    #[test]
    fn a_budget_smaller_than_the_process_refuses_at_once() {
        let gauge = Rc::new(Gauge::default());
        let mut reader = Metered::new(&b"{}"[..], gauge.clone(), Limits::with_memory(Some(1)));
        let refused = reader.read_to_end(&mut Vec::new()).is_err();
        // Only Linux says how much memory the process holds.
        if cfg!(target_os = "linux") {
            assert!(refused);
            assert!(
                matches!(gauge.refusal(), Some(Refusal::Memory(message)) if message.contains("--max-memory"))
            );
        }
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
