//! Helpers shared by zxvmo's in-VM integration tests.
//!
//! These tests need the real module loaded in the test kernel; they refuse
//! to run anywhere else rather than pass vacuously.

use std::os::fd::{AsRawFd, BorrowedFd};

/// The value after `name` in a tool's command line, parsed.
pub fn flag<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
}

/// Whether the running kernel is at least `major.minor` (from `uname -r`).
pub fn kernel_at_least(major: u32, minor: u32) -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (ma, mi) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (ma, mi) >= (major, minor)
}

/// Panics unless running inside zxvmo's test VM with the module loaded.
pub fn require_vm() {
    assert!(
        std::env::var_os("ZXVMO_OUT").is_some(),
        "zxvmo VM tests run only inside scripts/vm-run.sh"
    );
    assert!(
        std::path::Path::new("/dev/zxvmo").exists(),
        "/dev/zxvmo missing: the suite loads zxvmo.ko before the tests"
    );
}

/// Issues a raw ioctl and returns its result or the errno.
pub fn raw_ioctl(fd: BorrowedFd<'_>, cmd: u32, arg: usize) -> Result<i32, i32> {
    // SAFETY: The tests only pass arguments that are null, or addresses the
    // kernel must reject or may write `_IOC_SIZE(cmd)` bytes to (buffers the
    // test owns); a kernel that writes elsewhere is the bug under test.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), cmd as libc::c_ulong, arg) };
    if r < 0 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(r)
    }
}

/// Runs `f` in a forked child that first drops to uid/gid 65534 (nobody) and
/// every capability; returns the child's exit code. `f` returns the code.
pub fn as_nobody(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: The child only calls async-signal-safe functions before
    // running `f`, and `f` ends in `_exit`, so it never returns into the
    // parent's state (tests run single-threaded: --test-threads=1).
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // SAFETY: Plain syscalls in the child; `_exit` never returns.
        unsafe {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setgid(65534) != 0
                || libc::setuid(65534) != 0
            {
                libc::_exit(120);
            }
            libc::_exit(f());
        }
    }
    let mut status = 0;
    // SAFETY: Waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status),
        "child did not exit normally: {status:#x}"
    );
    libc::WEXITSTATUS(status)
}

use zxvmo::pci::{Bar, PciDevice};
use zxvmo::Resource;

/// QEMU's `edu` device and its BAR0 (registers), memory decoding on.
pub fn edu_bar0() -> Bar {
    let dev = PciDevice::find(0x1234, 0x11e8).expect("the VM has an edu device");
    dev.enable_memory().expect("enable edu memory decoding");
    dev.bar(0).expect("edu BAR0")
}

/// QEMU's `ivshmem-plain` device and its BAR2 (the shared memory).
pub fn ivshmem_bar2() -> Bar {
    let dev = PciDevice::find(0x1af4, 0x1110).expect("the VM has an ivshmem device");
    dev.enable_memory().expect("enable ivshmem memory decoding");
    dev.bar(2).expect("ivshmem BAR2")
}

/// The BAR2 of the `ivshmem-plain` device whose shared memory is `size`
/// bytes (scripts/vm-run.sh gives the VM 4 MiB, 64 MiB and 1 GiB ones),
/// memory decoding on, and the host file behind it.
pub fn ivshmem_bar2_sized(size: u64) -> (Bar, String) {
    for dev in PciDevice::find_all(0x1af4, 0x1110) {
        let Some(bar) = dev.bar(2) else { continue };
        if bar.size == size {
            dev.enable_memory().expect("enable ivshmem memory decoding");
            let out = std::env::var("ZXVMO_OUT").expect("ZXVMO_OUT");
            let file = match size {
                0x40_0000 => format!("{out}/ivshmem.bin"),
                0x400_0000 => format!("{out}/ivshmem-64m.bin"),
                _ => format!("{out}/ivshmem-1g.bin"),
            };
            return (bar, file);
        }
    }
    panic!("the VM has no ivshmem device of {size:#x} bytes");
}

/// The module's counts of page-table entries inserted by faults on
/// physical mappings: `[4 KiB, 2 MiB, 1 GiB]` (debugfs).
pub fn fault_counts() -> [u64; 3] {
    ["pte", "pmd", "pud"].map(|k| {
        let path = format!("/sys/kernel/debug/zxvmo/faults_{k}");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .trim()
            .parse()
            .unwrap()
    })
}

/// The entries inserted since `before` (a [`fault_counts`] reading).
pub fn faults_since(before: [u64; 3]) -> [u64; 3] {
    let now = fault_counts();
    [0, 1, 2].map(|i| now[i] - before[i])
}

/// A page-aligned address inside System RAM (8 MiB into the first range
/// larger than 16 MiB).
pub fn system_ram_page() -> u64 {
    let iomem = std::fs::read_to_string("/proc/iomem").unwrap();
    for line in iomem.lines().filter(|l| l.ends_with(": System RAM")) {
        let range = line.trim().split(" : ").next().unwrap();
        let (s, e) = range.split_once('-').unwrap();
        let (s, e) = (
            u64::from_str_radix(s, 16).unwrap(),
            u64::from_str_radix(e, 16).unwrap(),
        );
        if e - s > 16 << 20 {
            return s + (8 << 20);
        }
    }
    panic!("no System RAM range larger than 16 MiB in /proc/iomem");
}

/// Whether `/proc/iomem` has a line naming `name`.
pub fn iomem_has(name: &str) -> bool {
    std::fs::read_to_string("/proc/iomem")
        .unwrap()
        .lines()
        .any(|l| l.trim_end().ends_with(&format!(": {name}")))
}

/// The root resource (the tests run as root on an unlocked kernel).
pub fn root() -> Resource {
    Resource::root().expect("root resource")
}

/// A resource for all of `bar`, made from the root resource.
pub fn bar_resource(bar: &Bar, flags: zxvmo::ResourceFlags, name: &str) -> Resource {
    Resource::create(
        &root(),
        zxvmo::ResourceKind::Mmio,
        flags,
        bar.base,
        bar.size,
        name,
    )
    .unwrap_or_else(|s| panic!("resource {name} for the BAR at {:#x}: {s}", bar.base))
}

/// A memory cgroup named `name` (cgroup2 mounted and the memory controller
/// on, if they were not); returns its directory.
pub fn memory_cgroup(name: &str) -> String {
    let cg = "/sys/fs/cgroup";
    if !std::path::Path::new(&format!("{cg}/cgroup.controllers")).exists() {
        let st = std::process::Command::new("mount")
            .args(["-t", "cgroup2", "none", cg])
            .status()
            .unwrap();
        assert!(st.success(), "mount cgroup2");
    }
    let _ = std::fs::write(format!("{cg}/cgroup.subtree_control"), "+memory");
    let dir = format!("{cg}/{name}");
    let _ = std::fs::create_dir(&dir);
    dir
}

/// The module's reference count, from sysfs.
///
/// The crate opens `/dev/zxvmo` on its first call and keeps it open (one
/// reference, for the process's life); it is opened here first, so that a
/// count taken before a test's first call compares with one taken after.
/// (A chain test run alone once counted that open as a file its teardown
/// left behind.)
pub fn module_refcnt() -> u32 {
    zxvmo::Device::global().expect("/dev/zxvmo");
    std::fs::read_to_string("/sys/module/zxvmo/refcnt")
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A fresh private anonymous read-write mapping of `len` bytes, never
/// touched; the caller unmaps it.
pub fn anon_mapping(len: usize) -> *mut libc::c_void {
    // SAFETY: A new mapping at an address the kernel picks; nothing else
    // refers to it.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert_ne!(p, libc::MAP_FAILED, "mmap of {len} anonymous bytes");
    p
}

/// Number of open descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Calls `f` with a `msghdr` for one data byte and one descriptor's worth
/// of control data, both buffers living for the call.
fn with_msghdr<R>(f: impl FnOnce(&mut libc::msghdr) -> R) -> R {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    // SAFETY: CMSG_SPACE is a pure size computation.
    let space = unsafe { libc::CMSG_SPACE(4) } as usize;
    let mut cbuf = vec![0u8; space];
    // SAFETY: An all-zero msghdr is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = space;
    f(&mut msg)
}

/// Sends `fd` over the unix socket `sock` (SCM_RIGHTS).
pub fn send_fd(sock: BorrowedFd<'_>, fd: BorrowedFd<'_>) {
    // SAFETY: `with_msghdr` provides live buffers with room for one fd.
    with_msghdr(|msg| unsafe {
        let c = libc::CMSG_FIRSTHDR(msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
        libc::CMSG_DATA(c)
            .cast::<i32>()
            .write_unaligned(fd.as_raw_fd());
        assert_eq!(libc::sendmsg(sock.as_raw_fd(), msg, 0), 1, "sendmsg");
    })
}

/// Receives one descriptor sent with [`send_fd`].
pub fn recv_fd(sock: BorrowedFd<'_>) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: As in `send_fd`; a received descriptor is new and owned here.
    with_msghdr(|msg| unsafe {
        if libc::recvmsg(sock.as_raw_fd(), msg, 0) != 1 {
            return None;
        }
        let c = libc::CMSG_FIRSTHDR(msg);
        if c.is_null() || (*c).cmsg_type != libc::SCM_RIGHTS {
            return None;
        }
        let fd = libc::CMSG_DATA(c).cast::<i32>().read_unaligned();
        Some(std::os::fd::OwnedFd::from_raw_fd(fd))
    })
}

/// Fault injection: runs `f` with the `n`th fault point of this thread
/// failing (failslab and fail_page_alloc, through `/proc/thread-self/fail-nth`).
/// Returns `f`'s result and whether the fault fired (false: `f` passed
/// fewer than `n` fault points).
pub fn with_fail_nth<T>(n: u32, f: impl FnOnce() -> T) -> (T, bool) {
    static SETUP: std::sync::Once = std::sync::Once::new();
    SETUP.call_once(|| {
        for (file, value) in [
            ("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"),
            ("/sys/kernel/debug/failslab/verbose", "1"),
            ("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N"),
            // Page-cache and user pages are highmem-capable, order 0.
            ("/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N"),
            ("/sys/kernel/debug/fail_page_alloc/min-order", "0"),
            ("/sys/kernel/debug/fail_page_alloc/verbose", "1"),
        ] {
            std::fs::write(file, value).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
    });
    use std::os::unix::fs::FileExt;
    // Opened first: reading and writing an open fail-nth file allocates
    // nothing, so only `f` meets the injected fault.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/thread-self/fail-nth")
        .unwrap();
    file.write_at(n.to_string().as_bytes(), 0).unwrap();
    let r = f();
    let mut buf = [0u8; 16];
    let len = file.read_at(&mut buf, 0).unwrap();
    let left: u32 = std::str::from_utf8(&buf[..len])
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    file.write_at(b"0", 0).unwrap();
    (r, left == 0)
}

/// Runs `f` once with each of its fault points failing in turn (1st, 2nd,
/// … until a run meets fewer fault points than asked, which must succeed).
/// Every failed run must return `NO_MEMORY` and leave no descriptor or
/// zxvmo file behind. Returns how many runs failed.
pub fn fail_each_allocation<T>(f: impl Fn() -> Result<T, zxvmo::Status>) -> usize {
    // The crate opens /dev/zxvmo once, on first use: not a leak.
    zxvmo::Device::global().expect("open /dev/zxvmo");
    let fds = open_fds();
    let refcnt = module_refcnt();
    let mut injected = 0;
    for n in 1..1000 {
        let (r, fired) = with_fail_nth(n, &f);
        if !fired {
            assert!(r.is_ok(), "fail-nth {n} did not fire, yet {:?}", r.err());
            return injected;
        }
        match r {
            Err(s) => {
                assert_eq!(s, zxvmo::Status::NO_MEMORY, "fault point {n}");
                injected += 1;
            }
            // A fault point with a fallback: the call recovered. Its result
            // goes before the descriptors are counted.
            Ok(made) => drop(made),
        }
        assert_eq!(open_fds(), fds, "a failed call left a descriptor behind");
        assert_eq!(module_refcnt(), refcnt, "a failed call left a file behind");
    }
    panic!("the call met more than 1000 fault points");
}

/// The `/proc/self/maps` line of the mapping that contains `addr`.
pub fn maps_line(addr: usize) -> Option<String> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .find(|l| {
            let (s, e) = l.split(' ').next().unwrap().split_once('-').unwrap();
            let (s, e) = (
                usize::from_str_radix(s, 16).unwrap(),
                usize::from_str_radix(e, 16).unwrap(),
            );
            s <= addr && addr < e
        })
        .map(str::to_owned)
}

/// The page offset in its file of the mapping that contains `addr` (where
/// `addr` lies in it), as `/proc/self/maps` shows the kernel's `vm_pgoff`.
pub fn maps_pgoff(addr: usize) -> Option<usize> {
    let line = maps_line(addr)?;
    let start = usize::from_str_radix(line.split('-').next().unwrap(), 16).unwrap();
    let offset = u64::from_str_radix(line.split_whitespace().nth(2).unwrap(), 16).unwrap();
    Some(offset as usize / 4096 + (addr - start) / 4096)
}
