//! `zxvmo`: which process holds which zxvmo object, and how they hang
//! together.
//!
//! ```text
//! zxvmo ls   [--json]   every zxvmo handle, by process (like lsof)
//! zxvmo tree [--json]   resource -> child resource -> VMO -> child VMO
//! ```
//!
//! Reads `/proc/PID/fd` and `/proc/PID/fdinfo`, so it needs nothing beyond
//! reading `/proc`: as an ordinary user it sees its own processes, as root
//! everyone's; how many processes Linux refused to show it says on
//! stderr. A handle without `GET_PROPERTY` or `INSPECT` shows only its
//! kind, koid and rights, as the kernel shows it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// One zxvmo handle found in a process's descriptor table.
struct Entry {
    pid: u32,
    comm: String,
    fd: u32,
    /// The zxvmo lines of its fdinfo (`key` to `value`).
    fields: BTreeMap<String, String>,
}

impl Entry {
    fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", String::as_str)
    }

    fn koid(&self) -> u64 {
        self.get("koid").parse().unwrap_or(0)
    }

    /// The koid of the object this one was made from (0: none or hidden).
    fn parent(&self) -> u64 {
        let parent: u64 = self.get("parent-koid").parse().unwrap_or(0);
        if parent != 0 {
            return parent;
        }
        self.get("resource-koid").parse().unwrap_or(0)
    }

    /// What the object covers: a resource's range, a VMO's size (and
    /// physical base).
    fn extent(&self) -> String {
        match self.get("zxvmo-kind") {
            "resource" => self.get("range").to_owned(),
            "vmo" if !self.get("size").is_empty() => match self.fields.get("phys-base") {
                Some(base) => format!("{} bytes at {base}", self.get("size")),
                None => format!("{} bytes", self.get("size")),
            },
            _ => String::new(),
        }
    }
}

/// Every zxvmo handle in every process this user may inspect, and how
/// many processes Linux refused to show.
fn scan() -> (Vec<Entry>, usize) {
    let mut out = Vec::new();
    let mut refused = 0;
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return (out, refused);
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let fds = match std::fs::read_dir(format!("/proc/{pid}/fd")) {
            Ok(fds) => fds,
            Err(e) => {
                // Gone meanwhile (NotFound) is no refusal.
                refused += usize::from(e.kind() == std::io::ErrorKind::PermissionDenied);
                continue;
            }
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        for f in fds.flatten() {
            let Some(fd) = f.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let Ok(target) = std::fs::read_link(f.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if !target.starts_with("anon_inode:[zxvmo-") && target != "/dev/zxvmo" {
                continue;
            }
            let Ok(info) = std::fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")) else {
                continue;
            };
            let fields: BTreeMap<String, String> = info
                .lines()
                .filter_map(|l| l.split_once(":\t"))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            if fields.contains_key("zxvmo-kind") {
                out.push(Entry {
                    pid,
                    comm: comm.clone(),
                    fd,
                    fields,
                });
            }
        }
    }
    out.sort_by_key(|e| (e.pid, e.fd));
    (out, refused)
}

/// `s` as a JSON string.
fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_fields(e: &Entry) -> String {
    let fields: Vec<String> = e
        .fields
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "pos" | "flags" | "mnt_id" | "ino"))
        .map(|(k, v)| format!("{}: {}", json_str(k), json_str(v)))
        .collect();
    format!(
        "{{\"pid\": {}, \"comm\": {}, \"fd\": {}, \"object\": {{{}}}}}",
        e.pid,
        json_str(&e.comm),
        e.fd,
        fields.join(", ")
    )
}

fn ls(entries: &[Entry], json: bool) {
    if json {
        let rows: Vec<String> = entries
            .iter()
            .map(|e| format!("  {}", json_fields(e)))
            .collect();
        println!("[\n{}\n]", rows.join(",\n"));
        return;
    }
    println!(
        "{:>7} {:<16} {:>4} {:<9} {:>6} {:>10} {:<31} RANGE/SIZE",
        "PID", "COMMAND", "FD", "KIND", "KOID", "RIGHTS", "NAME"
    );
    for e in entries {
        println!(
            "{:>7} {:<16} {:>4} {:<9} {:>6} {:>10} {:<31} {}",
            e.pid,
            e.comm,
            e.fd,
            e.get("zxvmo-kind"),
            e.get("koid"),
            e.get("rights"),
            e.get("name"),
            e.extent()
        );
    }
}

/// One object of the tree: the first handle seen for it, and who holds it.
struct Node<'a> {
    entry: &'a Entry,
    holders: Vec<String>,
    children: BTreeSet<u64>,
}

fn tree(entries: &[Entry], json: bool) {
    let mut nodes: BTreeMap<u64, Node<'_>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.koid() != 0) {
        let node = nodes.entry(e.koid()).or_insert(Node {
            entry: e,
            holders: Vec::new(),
            children: BTreeSet::new(),
        });
        // Prefer a handle that shows the object's facts.
        if node.entry.get("name").is_empty() && !e.get("name").is_empty() {
            node.entry = e;
        }
        node.holders.push(format!("{}/{}", e.pid, e.fd));
    }
    let links: Vec<(u64, u64)> = nodes
        .iter()
        .map(|(&k, n)| (n.entry.parent(), k))
        .filter(|&(p, _)| p != 0)
        .collect();
    let mut has_parent = BTreeSet::new();
    for (p, k) in links {
        if let Some(parent) = nodes.get_mut(&p) {
            parent.children.insert(k);
            has_parent.insert(k);
        }
    }
    let roots: Vec<u64> = nodes
        .keys()
        .filter(|k| !has_parent.contains(k))
        .copied()
        .collect();
    if json {
        let items: Vec<String> = roots.iter().map(|&k| node_json(&nodes, k)).collect();
        println!("[{}]", items.join(", "));
        return;
    }
    for k in roots {
        print_node(&nodes, k, 0);
    }
}

fn label(n: &Node<'_>) -> String {
    let e = n.entry;
    let name = if e.get("name").is_empty() {
        "(facts hidden)".to_owned()
    } else {
        format!("\"{}\"", e.get("name"))
    };
    format!(
        "{} {} {} {}  [held by {}]",
        e.get("zxvmo-kind"),
        e.koid(),
        name,
        e.extent(),
        n.holders.join(", ")
    )
}

fn print_node(nodes: &BTreeMap<u64, Node<'_>>, koid: u64, depth: usize) {
    let n = &nodes[&koid];
    println!("{}{}", "  ".repeat(depth), label(n));
    for &c in &n.children {
        print_node(nodes, c, depth + 1);
    }
}

fn node_json(nodes: &BTreeMap<u64, Node<'_>>, koid: u64) -> String {
    let n = &nodes[&koid];
    let children: Vec<String> = n.children.iter().map(|&c| node_json(nodes, c)).collect();
    let holders: Vec<String> = n.holders.iter().map(|h| json_str(h)).collect();
    format!(
        "{{\"koid\": {}, \"kind\": {}, \"name\": {}, \"extent\": {}, \"holders\": [{}], \"children\": [{}]}}",
        koid,
        json_str(n.entry.get("zxvmo-kind")),
        json_str(n.entry.get("name")),
        json_str(&n.entry.extent()),
        holders.join(", "),
        children.join(", ")
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let cmd = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str);
    let (entries, refused) = scan();
    match cmd {
        Some("ls") | None => ls(&entries, json),
        Some("tree") => tree(&entries, json),
        Some(other) => {
            eprintln!(
                "zxvmo: unknown command {other:?}\nusage: zxvmo ls [--json] | zxvmo tree [--json]"
            );
            std::process::exit(2);
        }
    }
    if refused > 0 {
        eprintln!(
            "zxvmo: {refused} processes not shown: Linux refused to list their descriptors \
             (Permission denied: /proc/PID/fd of another user's process needs root or \
             CAP_SYS_PTRACE)"
        );
    }
}
