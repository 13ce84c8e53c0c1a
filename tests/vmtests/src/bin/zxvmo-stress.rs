//! `zxvmo-stress`: threads and processes racing zxvmo operations.
//!
//! ```text
//! zxvmo-stress [--seconds S] [--threads N] [--seed X]
//! ```
//!
//! Threads share a pool of raw VMO descriptors and race create, map,
//! unmap, close, duplicate, replace, child creation, `set_size` against
//! live mappings (touched in forked children, which may die of SIGBUS),
//! waits and polls against child drops, `mprotect`, `mremap` and partial
//! `munmap` of live mappings, VMO reads and writes whose user buffer is
//! stalled in a userfaultfd fault while the others go on, object creation
//! under a memory-cgroup limit (in the shrinker process), and
//! `delete_module` attempts, which must fail while anything is open. Runs
//! inside the test VM; the harness judges the kernel log (lockdep, KASAN)
//! afterwards.

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
        let op = (rng >> 40) % 13;
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
            11 => {
                // Re-protect, move and cut a live mapping while others
                // resize and close its VMO; never touched. Only the tail is
                // cut, so what is unmapped last is exactly what is left.
                if let Some(fd) = take(&sh, &mut rng) {
                    let len = 4 * PAGE as usize;
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
                        // SAFETY: Each call targets the mapping just made.
                        unsafe {
                            libc::mprotect(p, PAGE as usize, libc::PROT_READ | libc::PROT_WRITE);
                            libc::mprotect(p, len, libc::PROT_NONE);
                            let mut left = len;
                            if libc::munmap(p.byte_add(3 * PAGE as usize), PAGE as usize) == 0 {
                                left = 3 * PAGE as usize;
                            }
                            let q = libc::mremap(p, left, left, libc::MREMAP_MAYMOVE);
                            libc::munmap(if q == libc::MAP_FAILED { p } else { q }, left);
                        }
                        sh.races.fetch_add(1, Ordering::Relaxed);
                    }
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

/// One round under a memory-cgroup limit: a child process in a cgroup
/// 4 MiB above its usage, which the OOM killer may not choose, makes
/// objects of every kind until the limit stops it, then 200 calls more;
/// every refusal must be `NO_MEMORY`, never another status,
/// a hang or a kill. The child touches all the memory it needs first and
/// lifts the limit itself before allocating again (a user page fault that
/// cannot be charged would retry forever).
fn cgroup_round(sh: &Shared, round: u64) {
    use std::io::Write;
    let cg = "/sys/fs/cgroup";
    if !std::path::Path::new(&format!("{cg}/cgroup.controllers")).exists() {
        let _ = std::process::Command::new("mount")
            .args(["-t", "cgroup2", "none", cg])
            .status();
    }
    let _ = std::fs::write(format!("{cg}/cgroup.subtree_control"), "+memory");
    let dir = format!("{cg}/zxvmo-stress-{round}");
    if std::fs::create_dir(&dir).is_err() {
        sh.failures.fetch_add(1, Ordering::Relaxed);
        return;
    }
    // SAFETY: The child makes syscalls on its own objects and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = (|| -> Option<i32> {
            std::fs::write(format!("{dir}/cgroup.procs"), "0").ok()?;
            std::fs::write("/proc/self/oom_score_adj", "-1000").ok()?;
            let lim = libc::rlimit {
                rlim_cur: 60_000,
                rlim_max: 60_000,
            };
            // SAFETY: Sets a resource limit of this process (root may).
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } != 0 {
                return None;
            }
            let mut max = std::fs::OpenOptions::new()
                .write(true)
                .open(format!("{dir}/memory.max"))
                .ok()?;
            let parent = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 4 * PAGE).ok()?;
            let mut keep: Vec<Option<OwnedFd>> = Vec::with_capacity(50_000);
            keep.resize_with(50_000, || None);
            // Every page this process has, present and private now (a
            // forked child shares its parent's pages copy-on-write: a first
            // write under the limit would fault forever).
            // SAFETY: Locks this process's own pages; root may.
            if unsafe { libc::mlockall(libc::MCL_CURRENT) } != 0 {
                return None;
            }
            let current: u64 = std::fs::read_to_string(format!("{dir}/memory.current"))
                .ok()?
                .trim()
                .parse()
                .ok()?;
            max.write_all((current + (4 << 20)).to_string().as_bytes())
                .ok()?;
            let (mut refused, mut other) = (0u32, 0i32);
            for (i, slot) in keep.iter_mut().enumerate() {
                let made = match i % 4 {
                    0 => Vmo::create(PAGE).map(OwnedFd::from),
                    1 => parent
                        .create_child(VmoChildOptions::SLICE, 0, PAGE)
                        .map(OwnedFd::from),
                    2 => parent
                        .create_child(VmoChildOptions::SNAPSHOT, 0, PAGE)
                        .map(OwnedFd::from),
                    _ => zxvmo::HandleBased::duplicate_handle(&parent, zxvmo::Rights::SAME_RIGHTS)
                        .map(OwnedFd::from),
                };
                match made {
                    Ok(fd) => *slot = Some(fd),
                    Err(zxvmo::Status::NO_MEMORY) => refused += 1,
                    Err(s) => other = s.into_raw(),
                }
                if other != 0 || refused > 200 {
                    break;
                }
            }
            let lifted = max.write_all(b"max").is_ok();
            drop(keep);
            Some(if other != 0 {
                eprintln!("zxvmo-stress: under a cgroup limit a call failed with status {other}");
                1
            } else if refused == 0 || !lifted {
                eprintln!("zxvmo-stress: 50000 objects fit in a 4 MiB cgroup (lifted: {lifted})");
                2
            } else {
                0
            })
        })()
        .unwrap_or(3);
        // SAFETY: Ends the child.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: Waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        eprintln!("zxvmo-stress: the cgroup round ended with status {status:#x}");
        sh.failures.fetch_add(1, Ordering::Relaxed);
    }
    let _ = std::fs::remove_dir(&dir);
    sh.races.fetch_add(1, Ordering::Relaxed);
}

/// A userfaultfd region of one untouched page: a copy to or from it stalls
/// until [`stall_round`] resolves it. Returns the descriptor and address.
fn uffd_page() -> Option<(OwnedFd, usize)> {
    use std::os::fd::{AsRawFd, FromRawFd};
    // SAFETY: Plain syscalls on descriptors and memory this function owns;
    // the structs are `uffdio_api` and `uffdio_register` as u64 words.
    unsafe {
        let fd = libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC) as i32;
        if fd < 0 {
            return None;
        }
        let fd = OwnedFd::from_raw_fd(fd);
        let mut api = [0xaau64, 0, 0];
        if libc::ioctl(fd.as_raw_fd(), 0xc018_aa3f, api.as_mut_ptr()) != 0 {
            return None;
        }
        let p = libc::mmap(
            std::ptr::null_mut(),
            PAGE as usize,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        if p == libc::MAP_FAILED {
            return None;
        }
        let mut reg = [p as u64, PAGE, 1, 0];
        if libc::ioctl(fd.as_raw_fd(), 0xc020_aa00, reg.as_mut_ptr()) != 0 {
            libc::munmap(p, PAGE as usize);
            return None;
        }
        Some((fd, p as usize))
    }
}

/// One round of a VMO read or write whose user buffer stalls in a
/// userfaultfd fault for 20 ms while the workers race the same VMOs; the
/// stalled call must end within 10 s once the fault is resolved.
fn stall_round(sh: &Shared, rng: &mut u64) {
    use std::os::fd::AsRawFd;
    let Some(fd) = take(sh, rng) else {
        return;
    };
    let Some((uffd, page)) = uffd_page() else {
        sh.failures.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let write = *rng & 1 == 0;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut args = [0u64, page as u64, 64];
        let cmd = if write {
            sys::ZXVMO_IOC_VMO_WRITE
        } else {
            sys::ZXVMO_IOC_VMO_READ
        };
        let _ = tx.send(ioctl(fd, cmd, args.as_mut_ptr()));
    });
    std::thread::sleep(Duration::from_millis(20));
    let mut zero = [page as u64, PAGE, 0, 0];
    // SAFETY: `zero` is a `uffdio_zeropage` for the registered page.
    unsafe { libc::ioctl(uffd.as_raw_fd(), 0xc020_aa04, zero.as_mut_ptr()) };
    if rx.recv_timeout(Duration::from_secs(10)).is_err() {
        eprintln!("zxvmo-stress: a stalled VMO copy did not end once its fault was resolved");
        sh.failures.fetch_add(1, Ordering::Relaxed);
    }
    // SAFETY: The page mapped by `uffd_page`, after its user is done.
    unsafe { libc::munmap(page as *mut _, PAGE as usize) };
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
        let mut round = 0u64;
        while start.elapsed() < Duration::from_secs(seconds) {
            shrink_under_touch(&sh);
            if round.is_multiple_of(16) {
                cgroup_round(&sh, round);
            }
            round += 1;
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
    {
        let sh = sh.clone();
        handles.push(std::thread::spawn(move || {
            let mut rng = seed ^ 0x57a1;
            while !sh.stop.load(Ordering::Relaxed) {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                stall_round(&sh, &mut rng);
            }
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
