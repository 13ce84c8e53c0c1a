//! `zxvmo-bench`: zxvmo against its anchors, measured in the same run.
//!
//! ```text
//! zxvmo-bench [--iterations N] [--out DIR]
//! ```
//!
//! Each case times rounds of a zxvmo path and of the anchor that does the
//! same work without zxvmo (`/dev/mem`, a memfd), and prints both, their
//! ratio (zxvmo / anchor; below 1 is faster) and the issue's target for
//! it. The table is also written to `DIR/bench.csv` and `DIR/bench.json`.
//! `scripts/bench.sh` runs it in a VM on a non-debug kernel under QEMU's
//! `-icount shift=0,sleep=off`, where a guest nanosecond is a guest
//! instruction: the figures count instructions and repeat from run to run;
//! memory and MMIO latency do not show in them.

use std::fmt::Write as _;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::time::Instant;

use zxvmo::{Resource, ResourceFlags, ResourceKind, Vmo};

const PAGE: usize = 4096;
const MIB: usize = 1 << 20;
const GIB: usize = 1 << 30;

/// Mean nanoseconds (instructions under `-icount`) of one call of `f`,
/// over `n` calls after one warm-up call.
fn time(n: u32, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n.max(1))
}

/// One line of the table.
struct Row {
    case: String,
    zxvmo: f64,
    anchor: Option<(&'static str, f64)>,
    /// The issue's target for the ratio: at most this.
    target: Option<f64>,
}

impl Row {
    fn ratio(&self) -> Option<f64> {
        self.anchor.map(|(_, a)| self.zxvmo / a)
    }

    fn verdict(&self) -> &'static str {
        match (self.ratio(), self.target) {
            (Some(r), Some(t)) if r <= t => "met",
            (Some(_), Some(_)) => "MISSED",
            _ => "-",
        }
    }
}

/// Maps `len` bytes of `fd` from `offset` shared and read-write, reads one
/// word of every page, and unmaps: the same code for zxvmo and its anchor.
fn map_touch_unmap(fd: i32, offset: usize, len: usize) {
    // SAFETY: A fresh shared mapping at an address the kernel picks, read
    // within its bounds and unmapped.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            offset as libc::off_t,
        );
        assert_ne!(p, libc::MAP_FAILED, "mmap of {len:#x} bytes");
        let mut off = 0;
        while off < len {
            p.cast::<u8>().add(off).cast::<u32>().read_volatile();
            off += PAGE;
        }
        libc::munmap(p, len);
    }
}

/// A new memfd of `len` bytes.
fn memfd(len: usize) -> std::fs::File {
    // SAFETY: A fresh memfd, owned by the returned file.
    let fd = unsafe { libc::memfd_create(c"bench".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create");
    // SAFETY: `fd` is the new memfd and nothing else owns it.
    let f = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    f.set_len(len as u64).unwrap();
    f
}

/// The BAR2 of the ivshmem device of `size` bytes.
fn ivshmem(size: u64) -> zxvmo::pci::Bar {
    for dev in zxvmo::pci::PciDevice::find_all(0x1af4, 0x1110) {
        if let Some(bar) = dev.bar(2).filter(|b| b.size == size) {
            dev.enable_memory().unwrap();
            return bar;
        }
    }
    panic!("no ivshmem BAR of {size:#x} bytes (scripts/vm-run.sh adds them)");
}

/// Instructions of one revocation of a 1 GiB BAR that 8 processes map
/// whole (each has touched it, so each holds the PUD entry).
fn revoke_in_8_processes(root: &Resource, bar: &zxvmo::pci::Bar, rounds: u32) -> f64 {
    let mut total = 0.0;
    for _ in 0..rounds {
        let res = Resource::create(
            root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            bar.base,
            bar.size,
            "bench-revoke",
        )
        .unwrap();
        let vmo = Vmo::create_physical(&res, bar.base, GIB).unwrap();
        let m = vmo
            .map(
                0,
                GIB,
                zxvmo::VmarFlags::PERM_READ | zxvmo::VmarFlags::PERM_WRITE,
            )
            .unwrap();
        let addr = m.as_ptr() as usize;
        let mut kids = Vec::new();
        for _ in 0..8 {
            let mut fds = [0; 2];
            // SAFETY: A new pipe into `fds`.
            assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
            // SAFETY: The child touches the mapping, reports, and sleeps
            // until killed; async-signal-safe calls only.
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                // SAFETY: As above.
                unsafe {
                    std::ptr::read_volatile(addr as *const u32);
                    libc::write(fds[1], [1u8].as_ptr().cast(), 1);
                    loop {
                        libc::pause();
                    }
                }
            }
            let mut b = 0u8;
            // SAFETY: Waits for the child's report on our pipe.
            unsafe {
                libc::read(fds[0], (&mut b as *mut u8).cast(), 1);
                libc::close(fds[0]);
                libc::close(fds[1]);
            }
            kids.push(pid);
        }
        let start = Instant::now();
        res.revoke().unwrap();
        total += start.elapsed().as_nanos() as f64;
        for pid in kids {
            // SAFETY: Ends and reaps our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
        drop(m);
    }
    total / f64::from(rounds)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u32 = zxvmo_vmtests::flag(&args, "--iterations").unwrap_or(1000);
    let out: Option<String> = zxvmo_vmtests::flag(&args, "--out");
    let few = (n / 100).max(3);
    let mut rows = Vec::new();

    // Physical memory: map + touch every page + unmap, against /dev/mem
    // (one PTE per page at mmap time).
    let root = Resource::root().unwrap();
    let devmem = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/mem")
        .expect("/dev/mem (CONFIG_DEVMEM)");
    let small = ivshmem(64 << 20);
    let big = ivshmem(1 << 30);
    for (len, bar, rounds, target) in [
        (PAGE, &small, n, 1.0),
        (2 * MIB, &small, n / 4, 1.0),
        (64 * MIB, &small, few, 0.1),
        (GIB, &big, few.min(5), 0.01),
    ] {
        // /dev/mem first: under CONFIG_IO_STRICT_DEVMEM it may not map a
        // range that a resource's claim holds.
        let b = time(rounds, || {
            map_touch_unmap(devmem.as_raw_fd(), bar.base as usize, len)
        });
        let res = Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            bar.base,
            bar.size,
            "bench",
        )
        .unwrap();
        let vmo = Vmo::create_physical(&res, bar.base, len).unwrap();
        let z = time(rounds, || map_touch_unmap(vmo.as_fd().as_raw_fd(), 0, len));
        drop((vmo, res));
        let size = match len {
            PAGE => "4 KiB".to_owned(),
            l if l < GIB => format!("{} MiB", l / MIB),
            _ => "1 GiB".to_owned(),
        };
        rows.push(Row {
            case: format!("physical {size}: map + touch every page + unmap"),
            zxvmo: z,
            anchor: Some(("/dev/mem mmap", b)),
            target: Some(target),
        });
    }
    rows.push(Row {
        case: "revoke a 1 GiB BAR mapped whole in 8 processes".to_owned(),
        zxvmo: revoke_in_8_processes(&root, &big, 3),
        anchor: None,
        target: None,
    });

    // Paged memory against memfd.
    let z = time(n, || drop(Vmo::create(PAGE as u64).unwrap()));
    let b = time(n, || drop(memfd(PAGE)));
    rows.push(Row {
        case: "paged: create + close".to_owned(),
        zxvmo: z,
        anchor: Some(("memfd_create + close", b)),
        target: Some(1.0),
    });
    for (len, rounds) in [(PAGE, n), (64 * MIB, few)] {
        let data = vec![0x5au8; len];
        let mut back = vec![0u8; len];
        let v = Vmo::create(len as u64).unwrap();
        let f = memfd(len);
        let z = time(rounds, || {
            v.write(&data, 0).unwrap();
            v.read(&mut back, 0).unwrap();
        });
        let b = time(rounds, || {
            f.write_all_at(&data, 0).unwrap();
            f.read_exact_at(&mut back, 0).unwrap();
        });
        let size = if len == PAGE { "4 KiB" } else { "64 MiB" };
        rows.push(Row {
            case: format!("paged: {size} write + read"),
            zxvmo: z,
            anchor: Some(("memfd pwrite + pread", b)),
            target: Some(1.0),
        });
    }
    let len = 64 * MIB;
    let v = Vmo::create(len as u64).unwrap();
    let f = memfd(len);
    let z = time(few, || map_touch_unmap(v.as_fd().as_raw_fd(), 0, len));
    let b = time(few, || map_touch_unmap(f.as_raw_fd(), 0, len));
    rows.push(Row {
        case: "paged 64 MiB: map + touch every page + unmap".to_owned(),
        zxvmo: z,
        anchor: Some(("memfd mmap", b)),
        target: Some(1.0),
    });
    let v = Vmo::create(PAGE as u64).unwrap();
    let f = memfd(PAGE);
    let z = time(n * 4, || {
        v.get_size().unwrap();
    });
    let b = time(n * 4, || {
        // SAFETY: `fstat` into a zeroed buffer, on our memfd.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            assert_eq!(libc::fstat(f.as_raw_fd(), &mut st), 0);
        }
    });
    rows.push(Row {
        case: "one ioctl round trip (get size)".to_owned(),
        zxvmo: z,
        anchor: Some(("fstat on a memfd", b)),
        target: Some(1.5),
    });

    print_and_save(&rows, out.as_deref());
}

/// `v` with `places` decimals, or `none` when there is no figure.
fn figure(v: Option<f64>, places: usize, none: &str) -> String {
    v.map_or(none.to_owned(), |v| format!("{v:.places$}"))
}

/// Prints the table and writes it as CSV and JSON into `out`.
fn print_and_save(rows: &[Row], out: Option<&str>) {
    println!(
        "\n{:<52} {:>14} {:<22} {:>14} {:>7} {:>7}",
        "case", "zxvmo", "anchor", "anchor", "ratio", "target"
    );
    let mut csv =
        String::from("case,zxvmo_instructions,anchor,anchor_instructions,ratio,target,verdict\n");
    let mut json = String::from("[\n");
    for (i, r) in rows.iter().enumerate() {
        let (aname, aval) = r.anchor.map_or(("-", None), |(n, v)| (n, Some(v)));
        let fmt = |v, p| figure(v, p, "-");
        println!(
            "{:<52} {:>14.0} {:<22} {:>14} {:>7} {:>7} {}",
            r.case,
            r.zxvmo,
            aname,
            fmt(aval, 0),
            fmt(r.ratio(), 3),
            fmt(r.target, 2),
            r.verdict()
        );
        let _ = writeln!(
            csv,
            "\"{}\",{:.0},\"{}\",{},{},{},{}",
            r.case,
            r.zxvmo,
            aname,
            fmt(aval, 0),
            fmt(r.ratio(), 4),
            fmt(r.target, 2),
            r.verdict()
        );
        let num = |v, p| figure(v, p, "null");
        let _ = writeln!(
            json,
            "  {{\"case\": \"{}\", \"zxvmo\": {:.0}, \"anchor\": \"{}\", \"anchor_value\": {}, \"ratio\": {}, \"target\": {}, \"verdict\": \"{}\"}}{}",
            r.case,
            r.zxvmo,
            aname,
            num(aval, 0),
            num(r.ratio(), 4),
            num(r.target, 2),
            r.verdict(),
            if i + 1 < rows.len() { "," } else { "" }
        );
    }
    json.push_str("]\n");
    println!("(figures: guest instructions per round under -icount; ratio = zxvmo / anchor)");
    if let Some(dir) = out {
        std::fs::write(format!("{dir}/bench.csv"), csv).unwrap();
        std::fs::write(format!("{dir}/bench.json"), json).unwrap();
        println!("written: {dir}/bench.csv, {dir}/bench.json");
    }
}
