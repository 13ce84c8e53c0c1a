//! `zxvmo-bench`: zxvmo against its baselines, measured in the same run.
//!
//! ```text
//! zxvmo-bench [--iterations N]
//! ```
//!
//! Each benchmark times N rounds of a zxvmo path and of the baseline that
//! does the same work without zxvmo, and prints both and their ratio
//! (zxvmo / baseline; below 1 is faster). `scripts/bench.sh` runs it in a
//! VM under QEMU's `-icount shift=0,sleep=off`, where guest nanoseconds
//! are guest instructions: the figures count kernel-path instructions and
//! are repeatable, but memory and MMIO latency do not show in them.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Instant;

use zxvmo::{Resource, ResourceFlags, ResourceKind, VmarFlags, Vmo};

const PAGE: usize = 4096;

fn time(n: u32, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn report(name: &str, zxvmo: f64, baseline: f64, base_name: &str) {
    println!(
        "{name:<44} zxvmo {zxvmo:>10.0} ns   {base_name:<22} {baseline:>10.0} ns   ratio {:.2}",
        zxvmo / baseline
    );
}

/// Maps `len` bytes of `fd` at `offset` shared, reads the first word and
/// unmaps: the baseline's mapping path.
fn map_touch_unmap(fd: i32, offset: libc::off_t, len: usize) -> u32 {
    // SAFETY: A fresh shared mapping, read once and unmapped.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            offset,
        );
        assert_ne!(p, libc::MAP_FAILED, "mmap");
        let v = p.cast::<u32>().read_volatile();
        libc::munmap(p, len);
        v
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u32 = zxvmo_vmtests::flag(&args, "--iterations").unwrap_or(2000);
    let dev = zxvmo::pci::PciDevice::find(0x1234, 0x11e8).expect("edu device");
    dev.enable_memory().unwrap();
    let bar = dev.bar(0).expect("edu BAR0");
    println!("zxvmo-bench: {n} rounds each; edu BAR0 at {:#x}", bar.base);

    // MMIO: a mapping of one device page, touched once.
    let root = Resource::root().unwrap();
    let res = Resource::create(
        &root,
        ResourceKind::Mmio,
        ResourceFlags::empty(),
        bar.base,
        bar.size,
        "bench",
    )
    .unwrap();
    let vmo = Vmo::create_physical(&res, bar.base, PAGE).unwrap();
    let devmem = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/mem")
        .expect("/dev/mem (CONFIG_DEVMEM)");
    let z = time(n, || {
        let m = vmo
            .map(0, PAGE, VmarFlags::PERM_READ | VmarFlags::PERM_WRITE)
            .unwrap();
        assert_eq!(m.read32(0).unwrap(), 0x0100_00ed);
    });
    let b = time(n, || {
        assert_eq!(
            map_touch_unmap(devmem.as_raw_fd(), bar.base as libc::off_t, PAGE),
            0x0100_00ed
        );
    });
    report(
        "MMIO page: map + read register + unmap",
        z,
        b,
        "/dev/mem mmap",
    );

    let z = time(n, || {
        let v = Vmo::create_physical(&res, bar.base, PAGE).unwrap();
        let m = v
            .map(0, PAGE, VmarFlags::PERM_READ | VmarFlags::PERM_WRITE)
            .unwrap();
        assert_eq!(m.read32(0).unwrap(), 0x0100_00ed);
    });
    let b = time(n, || {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/mem")
            .unwrap();
        assert_eq!(
            map_touch_unmap(f.as_raw_fd(), bar.base as libc::off_t, PAGE),
            0x0100_00ed
        );
    });
    report(
        "MMIO page: new VMO (checks) + map + read",
        z,
        b,
        "open /dev/mem + mmap",
    );

    // Paged memory: 64 KiB created, written and read back.
    let data = vec![0x5au8; 16 * PAGE];
    let mut back = vec![0u8; 16 * PAGE];
    let z = time(n, || {
        let v = Vmo::create(data.len() as u64).unwrap();
        v.write(&data, 0).unwrap();
        v.read(&mut back, 0).unwrap();
    });
    let b = time(n, || {
        // SAFETY: A fresh memfd, owned below.
        let fd = unsafe { libc::memfd_create(c"bench".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: `fd` is the new memfd and nothing else owns it.
        let f = unsafe { OwnedFd::from_raw_fd(fd) };
        let file = std::fs::File::from(f);
        file.set_len(data.len() as u64).unwrap();
        use std::os::unix::fs::FileExt;
        file.write_all_at(&data, 0).unwrap();
        file.read_exact_at(&mut back, 0).unwrap();
    });
    report(
        "64 KiB paged: create + write + read",
        z,
        b,
        "memfd + pwrite/pread",
    );

    // Mapping paged memory and faulting it in.
    let v = Vmo::create(16 * PAGE as u64).unwrap();
    // SAFETY: A fresh memfd, owned below.
    let mfd =
        unsafe { OwnedFd::from_raw_fd(libc::memfd_create(c"bench".as_ptr(), libc::MFD_CLOEXEC)) };
    std::fs::File::from(mfd.try_clone().unwrap())
        .set_len(16 * PAGE as u64)
        .unwrap();
    let z = time(n, || {
        let m = v
            .map(0, 16 * PAGE, VmarFlags::PERM_READ | VmarFlags::PERM_WRITE)
            .unwrap();
        for i in 0..16 {
            m.write8(i * PAGE, 1).unwrap();
        }
    });
    let b = time(n, || {
        // SAFETY: A fresh shared mapping of the memfd, touched and unmapped.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                16 * PAGE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                mfd.as_raw_fd(),
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            for i in 0..16 {
                p.cast::<u8>().add(i * PAGE).write_volatile(1);
            }
            libc::munmap(p, 16 * PAGE);
        }
    });
    report(
        "64 KiB paged: map + touch 16 pages + unmap",
        z,
        b,
        "memfd mmap",
    );
}
