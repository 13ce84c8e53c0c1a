//! Inspection from outside: `/proc/PID/fdinfo` of zxvmo handles, and the
//! `zxvmo ls` / `zxvmo tree` tool that reads it.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Command;

use zxvmo::{
    HandleBased, Resource, ResourceFlags, ResourceKind, Rights, VmarFlags, Vmo, VmoChildOptions,
    VmoOptions,
};
use zxvmo_vmtests::*;

const PAGE: u64 = 4096;
const TOOL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../userspace/target/release/zxvmo"
);

/// The `key:\tvalue` lines of this process's fdinfo for `fd`.
fn fdinfo(fd: impl AsFd) -> BTreeMap<String, String> {
    let raw = fd.as_fd().as_raw_fd();
    std::fs::read_to_string(format!("/proc/self/fdinfo/{raw}"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(":\t"))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn tool(args: &[&str]) -> String {
    let out = Command::new(TOOL).args(args).output().expect(TOOL);
    assert!(out.status.success(), "zxvmo {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// A resource over the edu BAR named `{prefix}-res`, a one-page child of
/// it named `{prefix}-child`, and a physical VMO from the child named
/// `{prefix}-phys`.
fn physical_objects(prefix: &str) -> (zxvmo::pci::Bar, Resource, Resource, Vmo) {
    let bar = edu_bar0();
    let res = bar_resource(&bar, ResourceFlags::empty(), &format!("{prefix}-res"));
    let child = Resource::create(
        &res,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        PAGE,
        &format!("{prefix}-child"),
    )
    .unwrap();
    let phys = Vmo::create_physical(&child, bar.base, PAGE as usize).unwrap();
    phys.set_name(&format!("{prefix}-phys")).unwrap();
    (bar, res, child, phys)
}

#[test]
fn fdinfo_shows_each_object_and_hides_facts_without_rights() {
    require_vm();
    let (bar, res, child, phys) = physical_objects("info");
    let paged = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 3 * PAGE + 5).unwrap();
    paged.set_name("info-paged").unwrap();
    paged.write(&[1u8; 4096], 0).unwrap();
    let slice = paged.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    let _m = paged.map(0, PAGE as usize, VmarFlags::PERM_READ).unwrap();

    let r = fdinfo(&res);
    assert_eq!(r["zxvmo-kind"], "resource");
    assert_eq!(r["name"], "info-res");
    assert_eq!(r["resource-kind"], "mmio");
    assert_eq!(
        r["range"],
        format!("{:#x}-{:#x}", bar.base, bar.base + bar.size - 1)
    );
    assert_eq!(r["flags"], "shared");
    assert_eq!(r["vmos"], "0");
    let c = fdinfo(&child);
    assert_eq!(c["parent-koid"], r["koid"]);
    assert_eq!(c["vmos"], "1");

    let p = fdinfo(&paged);
    assert_eq!(p["zxvmo-kind"], "vmo");
    assert_eq!(p["vmo-type"], "paged");
    assert_eq!(p["size"], (4 * PAGE).to_string());
    assert_eq!(p["content-size"], (3 * PAGE + 5).to_string());
    assert_eq!(p["committed-bytes"], PAGE.to_string());
    assert_eq!(p["cache-policy"], "cached");
    assert_eq!(p["children"], "1");
    assert_eq!(p["mappings"], "1");
    assert_eq!(
        p["rights"],
        format!("{:#x}", Rights::VMO_DEFAULT.bits()),
        "{p:?}"
    );
    assert_eq!(fdinfo(&slice)["parent-koid"], p["koid"]);
    let v = fdinfo(&phys);
    assert_eq!(v["vmo-type"], "physical");
    assert_eq!(v["cache-policy"], "uncached");
    assert_eq!(v["resource-koid"], c["koid"]);
    assert_eq!(v["phys-base"], format!("{:#x}", bar.base));

    // Without GET_PROPERTY or INSPECT: kind, koid and rights only, as the
    // info ioctl gives them.
    let blind = paged.duplicate_handle(Rights::READ | Rights::MAP).unwrap();
    let b = fdinfo(&blind);
    assert_eq!(b["koid"], p["koid"]);
    assert_eq!(
        b["rights"],
        format!("{:#x}", (Rights::READ | Rights::MAP).bits())
    );
    for hidden in ["name", "size", "committed-bytes", "children"] {
        assert!(
            !b.contains_key(hidden),
            "{hidden} shown without rights: {b:?}"
        );
    }
    let d = fdinfo(zxvmo::Device::global().unwrap());
    assert_eq!(d["zxvmo-kind"], "device");
}

#[test]
fn zxvmo_ls_and_tree_show_who_holds_what() {
    require_vm();
    let (_bar, res, _child, phys) = physical_objects("tool");
    let slice = phys.create_child(VmoChildOptions::SLICE, 0, PAGE).unwrap();
    slice.set_name("tool-slice").unwrap();
    let pid = std::process::id();

    let ls = tool(&["ls"]);
    let mine: Vec<&str> = ls
        .lines()
        .filter(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .collect();
    for name in ["tool-res", "tool-child", "tool-phys", "tool-slice"] {
        assert!(
            mine.iter().any(|l| l.contains(name)),
            "{name} not in zxvmo ls:\n{ls}"
        );
    }
    let fd = res.as_fd().as_raw_fd().to_string();
    assert!(
        mine.iter()
            .any(|l| l.split_whitespace().nth(2) == Some(&fd) && l.contains("resource")),
        "the resource's fd {fd}:\n{ls}"
    );

    let json = tool(&["ls", "--json"]);
    assert!(json.trim_start().starts_with('['), "{json}");
    assert!(json.contains("\"name\": \"tool-phys\""), "{json}");
    assert!(json.contains(&format!("\"pid\": {pid}")), "{json}");

    // The tree nests: resource > child resource > VMO > slice.
    let tree = tool(&["tree"]);
    let depth = |name: &str| {
        let line = tree
            .lines()
            .find(|l| l.contains(&format!("\"{name}\"")))
            .unwrap_or_else(|| panic!("{name} not in zxvmo tree:\n{tree}"));
        line.len() - line.trim_start().len()
    };
    assert_eq!(depth("tool-child"), depth("tool-res") + 2, "{tree}");
    assert_eq!(depth("tool-phys"), depth("tool-child") + 2, "{tree}");
    assert_eq!(depth("tool-slice"), depth("tool-phys") + 2, "{tree}");
    let tjson = tool(&["tree", "--json"]);
    assert!(tjson.contains("\"children\": [{\"koid\""), "{tjson}");

    // An unprivileged user sees no one else's handles.
    let nobody = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            TOOL,
            "ls",
        ])
        .output()
        .unwrap();
    assert!(nobody.status.success(), "{nobody:?}");
    assert!(!String::from_utf8_lossy(&nobody.stdout).contains("tool-res"));
}

#[test]
fn zxvmo_ls_says_how_many_processes_linux_refused_to_show() {
    require_vm();
    // This test runs as root and holds a zxvmo handle; nobody may not list
    // its descriptors, and the tool must say so rather than show less
    // silently.
    let _v = Vmo::create(PAGE).unwrap();
    let code = as_nobody(|| {
        let Ok(out) = Command::new(TOOL).arg("ls").output() else {
            return 10;
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return 11;
        }
        if !(stderr.contains("processes not shown") && stderr.contains("Permission denied")) {
            eprintln!("zxvmo ls as nobody printed on stderr: {stderr:?}");
            return 12;
        }
        0
    });
    // 10: the tool did not run; 11: it failed; 12: no refusal note.
    assert_eq!(code, 0);
}
