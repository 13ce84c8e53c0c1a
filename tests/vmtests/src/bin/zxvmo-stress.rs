//! `zxvmo-stress`: threads and processes racing zxvmo operations.
//!
//! ```text
//! zxvmo-stress [--seconds S] [--threads N] [--seed X]
//! ```
//!
//! Threads share a pool of raw VMO descriptors and race create, map,
//! unmap, close, duplicate, replace, child creation, `set_size` against
//! live mappings (touched in forked children, which may die of SIGBUS),
//! waits and polls against child drops, and `delete_module` attempts,
//! which must fail while anything is open. Runs inside the test VM; the
//! harness judges the kernel log (lockdep, KASAN) afterwards.

use std::os::fd::{IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zxvmo::{sys, Resource, ResourceFlags, ResourceKind, Vmo, VmoChildOptions, VmoOptions};

const PAGE: u64 = 4096;

struct Shared {
    fds: Mutex<Vec<i32>>,
    stop: AtomicBool,
    ops: AtomicU64,
    races: AtomicU64,
    failures: AtomicU64,
    edu: Option<(u64, i32)>,
}

fn ioctl(fd: i32, cmd: u32, arg: *mut u64) -> i32 {
    // SAFETY: `arg` points to a 16-word buffer owned by the caller, larger
    // than any zxvmo argument; its pointer fields are zero or valid.
    unsafe { libc::ioctl(fd, cmd as libc::c_ulong, arg) }
}

fn take(sh: &Shared, rng: &mut u64) -> Option<i32> {
    let fds = sh.fds.lock().unwrap();
    if fds.is_empty() {
        return None;
    }
    *rng = rng
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Some(fds[(*rng >> 33) as usize % fds.len()])
}

fn add(sh: &Shared, fd: i32) {
    let mut fds = sh.fds.lock().unwrap();
    fds.push(fd);
    if fds.len() > 64 {
        let old = fds.remove(0);
        // SAFETY: A descriptor from the pool, closed once (removed first).
        unsafe { libc::close(old) };
    }
}

/// One racing worker: a random mix of operations until told to stop.
fn worker(sh: Arc<Shared>, dev: i32, seed: u64) {
    let mut rng = seed;
    let mut buf = [0u64; 16];
    while !sh.stop.load(Ordering::Relaxed) {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let op = (rng >> 40) % 12;
        sh.ops.fetch_add(1, Ordering::Relaxed);
        match op {
            0 | 1 => {
                buf[0] = (1 + (rng >> 20) % 16) * PAGE;
                buf[1] = (rng >> 50) % 2;
                let fd = ioctl(dev, sys::ZXVMO_IOC_VMO_CREATE, buf.as_mut_ptr());
                if fd >= 0 {
                    add(&sh, fd);
                }
            }
            2 => {
                if let Some((paddr, res)) = sh.edu {
                    buf[0] = paddr;
                    buf[1] = PAGE;
                    let fd = ioctl(res, sys::ZXVMO_IOC_VMO_CREATE_PHYSICAL, buf.as_mut_ptr());
                    if fd >= 0 {
                        add(&sh, fd);
                    }
                }
            }
            3 => {
                // Close a random descriptor while others may be using it.
                let mut fds = sh.fds.lock().unwrap();
                if fds.len() > 4 {
                    let i = (rng >> 8) as usize % fds.len();
                    let fd = fds.swap_remove(i);
                    drop(fds);
                    // SAFETY: Removed from the pool above, closed once.
                    unsafe { libc::close(fd) };
                    sh.races.fetch_add(1, Ordering::Relaxed);
                }
            }
            4 => {
                if let Some(fd) = take(&sh, &mut rng) {
                    buf[0] = sys::ZX_RIGHT_SAME_RIGHTS as u64;
                    let cmd = if rng & 1 == 0 {
                        sys::ZXVMO_IOC_HANDLE_DUPLICATE
                    } else {
                        sys::ZXVMO_IOC_HANDLE_REPLACE
                    };
                    let n = ioctl(fd, cmd, buf.as_mut_ptr());
                    if n >= 0 {
                        add(&sh, n);
                    }
                }
            }
            5 | 6 => {
                if let Some(fd) = take(&sh, &mut rng) {
                    let opts =
                        [sys::ZX_VMO_CHILD_SLICE, sys::ZX_VMO_CHILD_SNAPSHOT][(rng & 1) as usize];
                    buf[0] = opts as u64;
                    buf[1] = 0;
                    buf[2] = PAGE;
                    let n = ioctl(fd, sys::ZXVMO_IOC_VMO_CREATE_CHILD, buf.as_mut_ptr());
                    if n >= 0 {
                        add(&sh, n);
                    }
                }
            }
            7 => {
                // Map and unmap without touching (the VMO may shrink).
                if let Some(fd) = take(&sh, &mut rng) {
                    let len = PAGE as usize * (1 + (rng >> 12) as usize % 4);
                    // SAFETY: A fresh mapping, never touched, unmapped below.
                    let p = unsafe {
                        libc::mmap(
                            std::ptr::null_mut(),
                            len,
                            libc::PROT_READ,
                            libc::MAP_SHARED,
                            fd,
                            0,
                        )
                    };
                    if p != libc::MAP_FAILED {
                        std::thread::yield_now();
                        // SAFETY: The mapping just made.
                        unsafe { libc::munmap(p, len) };
                    }
                }
            }
            8 => {
                if let Some(fd) = take(&sh, &mut rng) {
                    buf[0] = ((rng >> 16) % 8) * PAGE;
                    ioctl(fd, sys::ZXVMO_IOC_VMO_SET_SIZE, buf.as_mut_ptr());
                    sh.races.fetch_add(1, Ordering::Relaxed);
                }
            }
            9 => {
                if let Some(fd) = take(&sh, &mut rng) {
                    // A short wait for ZERO_CHILDREN while children come and go.
                    buf[0] = sys::ZX_VMO_ZERO_CHILDREN as u64;
                    buf[1] = 0;
                    ioctl(fd, sys::ZXVMO_IOC_WAIT_ONE, buf.as_mut_ptr());
                    let mut p = libc::pollfd {
                        fd,
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: One pollfd, no waiting.
                    unsafe { libc::poll(&mut p, 1, 0) };
                }
            }
            10 => {
                if let Some(fd) = take(&sh, &mut rng) {
                    let data = [0x5au8; 64];
                    buf[0] = (rng >> 20) % (4 * PAGE);
                    buf[1] = data.as_ptr() as u64;
                    buf[2] = data.len() as u64;
                    ioctl(fd, sys::ZXVMO_IOC_VMO_WRITE, buf.as_mut_ptr());
                    ioctl(fd, sys::ZXVMO_IOC_GET_INFO, buf.as_mut_ptr());
                }
            }
            _ => {
                // The module must refuse to go while anything is open.
                let name = c"zxvmo";
                // SAFETY: A NUL-terminated name; O_NONBLOCK never waits.
                let r = unsafe {
                    libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK)
                };
                if r == 0 {
                    eprintln!("zxvmo-stress: delete_module succeeded while descriptors were open");
                    sh.failures.fetch_add(1, Ordering::Relaxed);
                }
                sh.races.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Shrinks a VMO while a forked child touches its mapping: the child ends
/// normally or by SIGBUS, never otherwise.
fn shrink_under_touch(sh: &Shared) {
    let Ok(v) = Vmo::create(16 * PAGE) else {
        return;
    };
    // Mapped before the fork: the child inherits the mapping (a VMA copy,
    // so zxvmo's `open` callback runs) and touches it while we shrink.
    let rw = zxvmo::VmarFlags::PERM_READ | zxvmo::VmarFlags::PERM_WRITE;
    let Ok(m) = v.map(0, 16 * PAGE as usize, rw) else {
        sh.failures.fetch_add(1, Ordering::Relaxed);
        return;
    };
    // SAFETY: The child touches the inherited mapping and exits; it never
    // returns.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        for round in 0..2000usize {
            let _ = m.write8((round * 613) % (16 * PAGE as usize), 1);
        }
        // SAFETY: Ends the child.
        unsafe { libc::_exit(0) };
    }
    drop(m);
    for size in [8, 1, 12, 0, 16] {
        let _ = v.set_size(size * PAGE);
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut status = 0;
    // SAFETY: Waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    let ok = (libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0)
        || (libc::WIFSIGNALED(status) && libc::WTERMSIG(status) == libc::SIGBUS);
    if !ok {
        eprintln!("zxvmo-stress: a child touching a shrinking VMO ended with status {status:#x}");
        sh.failures.fetch_add(1, Ordering::Relaxed);
    }
    sh.races.fetch_add(1, Ordering::Relaxed);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = zxvmo_vmtests::flag(&args, "--seconds").unwrap_or(60);
    let threads: u64 = zxvmo_vmtests::flag(&args, "--threads").unwrap_or(4);
    let seed: u64 = zxvmo_vmtests::flag(&args, "--seed").unwrap_or(0x5eed);
    println!("zxvmo-stress: {threads} threads for {seconds} s, seed {seed}");
    let dev = std::fs::File::open("/dev/zxvmo")
        .expect("/dev/zxvmo")
        .into_raw_fd();
    let edu = zxvmo::pci::PciDevice::find(0x1234, 0x11e8)
        .and_then(|d| d.bar(0))
        .and_then(|bar| {
            let root = Resource::root().ok()?;
            let r = Resource::create(
                &root,
                ResourceKind::Mmio,
                ResourceFlags::empty(),
                bar.base,
                bar.size,
                "stress",
            )
            .ok()?;
            Some((bar.base, OwnedFd::from(r).into_raw_fd()))
        });
    let sh = Arc::new(Shared {
        fds: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
        ops: AtomicU64::new(0),
        races: AtomicU64::new(0),
        failures: AtomicU64::new(0),
        edu,
    });
    // A non-resizable parent so slices are possible.
    if let Ok(v) = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 8 * PAGE) {
        if let Ok(c) = v.create_child(VmoChildOptions::SLICE, 0, PAGE) {
            add(&sh, OwnedFd::from(c).into_raw_fd());
        }
        add(&sh, OwnedFd::from(v).into_raw_fd());
    }
    let start = Instant::now();
    // The shrink-under-touch rounds run in a process of their own, forked
    // before the workers exist, so no worker's stale descriptor lands on
    // their VMOs; its exit code is its count of failures.
    // SAFETY: Forked while single-threaded; the child exits via `_exit`.
    let shrinker = unsafe { libc::fork() };
    if shrinker == 0 {
        while start.elapsed() < Duration::from_secs(seconds) {
            shrink_under_touch(&sh);
        }
        let failures = sh.failures.load(Ordering::Relaxed).min(100) as i32;
        // SAFETY: Ends the shrinker process.
        unsafe { libc::_exit(failures) };
    }
    let mut handles = Vec::new();
    for t in 0..threads {
        let sh = sh.clone();
        handles.push(std::thread::spawn(move || {
            worker(sh, dev, seed.wrapping_add(t * 7919))
        }));
    }
    std::thread::sleep(Duration::from_secs(seconds));
    sh.stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let mut status = 0;
    // SAFETY: Waits for the shrinker forked above.
    unsafe { libc::waitpid(shrinker, &mut status, 0) };
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        eprintln!("zxvmo-stress: the shrinker process failed: status {status:#x}");
        sh.failures.fetch_add(1, Ordering::Relaxed);
    }
    for fd in sh.fds.lock().unwrap().drain(..) {
        // SAFETY: Pool descriptors, closed once.
        unsafe { libc::close(fd) };
    }
    // SAFETY: The device descriptor, closed once, after every worker.
    unsafe { libc::close(dev) };
    let races = sh.races.load(Ordering::Relaxed);
    let failures = sh.failures.load(Ordering::Relaxed);
    println!(
        "zxvmo-stress: {} operations, {races} races run, {failures} failures",
        sh.ops.load(Ordering::Relaxed)
    );
    println!("ZXVMO-STRESS-RACES {races}");
    if failures > 0 {
        std::process::exit(1);
    }
}
