//! `zxvmo-fuzz`: random and mutated ioctls, mmaps and polls against the
//! zxvmo module, on its own objects and on other files.
//!
//! ```text
//! zxvmo-fuzz [--calls N] [--seconds S] [--seed X]
//! ```
//!
//! Runs inside the test VM (as root, module loaded); the VM harness judges
//! the kernel log afterwards. Stops after N calls (default 1,000,000) or S
//! seconds (default 600), whichever is first. The seed is printed first, so
//! `--seed` replays a run. Pointers inside argument structs point into a
//! scratch area or nowhere, so the kernel never writes over the fuzzer.

use std::collections::BTreeMap;
use std::os::fd::{IntoRawFd, OwnedFd};
use std::time::{Duration, Instant};

use zxvmo::{sys, Resource, ResourceFlags, ResourceKind, Vmo, VmoChildOptions, VmoOptions};

/// xorshift64*: small, fast, and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

const PAGE: u64 = 4096;
const SCRATCH: usize = 1 << 20;
const MAX_FDS: usize = 48;

/// The commands zxvmo knows.
const CMDS: [u32; 18] = [
    sys::ZXVMO_IOC_VERSION,
    sys::ZXVMO_IOC_ROOT_RESOURCE,
    sys::ZXVMO_IOC_RESOURCE_CREATE,
    sys::ZXVMO_IOC_VMO_CREATE,
    sys::ZXVMO_IOC_VMO_CREATE_PHYSICAL,
    sys::ZXVMO_IOC_VMO_READ,
    sys::ZXVMO_IOC_VMO_WRITE,
    sys::ZXVMO_IOC_VMO_GET_SIZE,
    sys::ZXVMO_IOC_VMO_SET_SIZE,
    sys::ZXVMO_IOC_GET_PROPERTY,
    sys::ZXVMO_IOC_SET_PROPERTY,
    sys::ZXVMO_IOC_VMO_SET_CACHE_POLICY,
    sys::ZXVMO_IOC_VMO_CREATE_CHILD,
    sys::ZXVMO_IOC_HANDLE_DUPLICATE,
    sys::ZXVMO_IOC_HANDLE_REPLACE,
    sys::ZXVMO_IOC_GET_INFO,
    sys::ZXVMO_IOC_WAIT_ONE,
    sys::ZXVMO_IOC_VMO_OP_RANGE,
];

struct Fuzzer {
    rng: Rng,
    /// Descriptors under test; the first `fixed` are never closed.
    fds: Vec<i32>,
    fixed: usize,
    scratch: Vec<u8>,
    /// Interesting physical addresses: device BARs, System RAM, the edges.
    addrs: Vec<u64>,
    errnos: BTreeMap<i32, u64>,
    calls: u64,
    created: u64,
    mapped: u64,
    /// Mappings left alive for a while, so closes and replaces race them.
    maps: Vec<(usize, usize)>,
}

impl Fuzzer {
    fn value(&mut self) -> u64 {
        let a = self.rng.pick(&self.addrs);
        match self.rng.below(12) {
            0 => 0,
            1 => u64::MAX,
            2 => self.rng.below(4) * PAGE,
            3 => self.rng.next(),
            4 => a,
            5 => a.wrapping_add(self.rng.below(8) * PAGE),
            6 => a.wrapping_sub(PAGE),
            7 => 1 << self.rng.below(64),
            8 => (1u64 << self.rng.below(64)).wrapping_sub(1),
            9 => self.rng.below(PAGE * 3),
            10 => i64::MAX as u64,
            _ => self.rng.below(64),
        }
    }

    /// A user address for a pointer field: in the scratch area, or invalid.
    fn pointer(&mut self, len: u64) -> u64 {
        let base = self.scratch.as_mut_ptr() as u64;
        match self.rng.below(5) {
            0 => 0,
            1 => 0xffff_8000_0000_0000 + self.rng.below(1 << 30),
            2 => 16,
            _ => base + self.rng.below(SCRATCH as u64 - len.min(SCRATCH as u64 - 1)),
        }
    }

    /// Fills an argument buffer for `cmd`: a plausible struct, mutated.
    fn argument(&mut self, cmd: u32, buf: &mut [u64; 64]) {
        for w in buf.iter_mut() {
            *w = self.value();
        }
        let len = self.rng.below(SCRATCH as u64 / 2);
        match cmd {
            sys::ZXVMO_IOC_VMO_READ | sys::ZXVMO_IOC_VMO_WRITE => {
                buf[1] = self.pointer(len);
                buf[2] = if self.rng.below(4) == 0 {
                    self.value()
                } else {
                    len
                };
            }
            sys::ZXVMO_IOC_GET_PROPERTY | sys::ZXVMO_IOC_SET_PROPERTY => {
                let prop = [sys::ZX_PROP_NAME, sys::ZX_PROP_VMO_CONTENT_SIZE, 0, 99];
                buf[0] = u64::from(self.rng.pick(&prop)) | (self.rng.below(2) << 40);
                buf[1] = self.pointer(64);
                buf[2] = self.rng.below(80);
            }
            sys::ZXVMO_IOC_WAIT_ONE => {
                // Never block long: deadlines in the past or a few µs ahead.
                buf[1] = self.rng.below(2) * 1_000;
            }
            sys::ZXVMO_IOC_RESOURCE_CREATE => {
                buf[0] = self.rng.below(5) | (self.rng.pick(&[0u64, 0x10000, 0x10001]) << 32);
            }
            sys::ZXVMO_IOC_VMO_CREATE => {
                buf[0] = self.rng.below(64 * PAGE);
                buf[1] = self.rng.pick(&[0u64, 1, 2, 0x1_0000_0000]);
            }
            sys::ZXVMO_IOC_VMO_CREATE_CHILD => {
                buf[0] = self.rng.next() & 0x3f;
                buf[2] = self.rng.below(8) * PAGE;
            }
            sys::ZXVMO_IOC_VMO_OP_RANGE => {
                // Ops 0 to 15 (every known one and a few unknown), with a
                // reserved word that is usually zero.
                buf[0] = self.rng.below(16) | (u64::from(self.rng.below(8) == 0) << 32);
            }
            _ => {}
        }
        // Sometimes mutate a few random bits of the plausible struct.
        if self.rng.below(3) == 0 {
            let i = self.rng.below(16) as usize;
            buf[i] ^= 1 << self.rng.below(64);
        }
        // A commit is bounded: committing more than the VM's memory would
        // only test the OOM killer, as a memfd's fallocate would (memory
        // cgroups bound it for real; capability.rs tests that).
        if cmd == sys::ZXVMO_IOC_VMO_OP_RANGE
            && buf[0] & 0xffff_ffff == u64::from(sys::ZX_VMO_OP_COMMIT)
        {
            buf[2] = buf[2].min(16 << 20);
        }
        // Whatever the mutation did, a buffer the kernel may write to lies
        // in the scratch area with room for its length, or nowhere.
        if matches!(cmd, sys::ZXVMO_IOC_VMO_READ | sys::ZXVMO_IOC_GET_PROPERTY) {
            let base = self.scratch.as_mut_ptr() as u64;
            let end = base + SCRATCH as u64;
            let (ptr, len) = (buf[1], buf[2]);
            let inside = ptr >= base && ptr.checked_add(len).is_some_and(|e| e <= end);
            if !inside && (0x1_0000..0x8000_0000_0000).contains(&ptr) {
                buf[1] = 0xffff_8000_0000_0000 | ptr;
            }
        }
    }

    fn command(&mut self) -> u32 {
        match self.rng.below(10) {
            0..=5 => {
                let c = self.rng.pick(&CMDS);
                // Replace kills the handle it is given: keep it rare, or
                // most calls would meet dead handles.
                if c == sys::ZXVMO_IOC_HANDLE_REPLACE && self.rng.below(8) != 0 {
                    sys::ZXVMO_IOC_HANDLE_DUPLICATE
                } else {
                    c
                }
            }
            6 => {
                // A known command number with another size or direction.
                let c = self.rng.pick(&CMDS);
                (c & 0x3fff_ffff & !(0x3fff << 16))
                    | ((self.rng.below(4) as u32) << 30)
                    | ((self.rng.below(128) as u32) << 16)
            }
            7 => sys::ioc(
                self.rng.below(4) as u32,
                sys::ZXVMO_IOC_MAGIC,
                self.rng.below(256) as u32,
                self.rng.below(256) as usize,
            ),
            _ => self.rng.next() as u32,
        }
    }

    fn fd(&mut self) -> i32 {
        match self.rng.below(20) {
            0 => -1,
            1 => 1000 + self.rng.below(10) as i32,
            _ => self.rng.pick(&self.fds),
        }
    }

    fn adopt(&mut self, fd: i32) {
        self.created += 1;
        if self.fds.len() >= MAX_FDS {
            let i = self.fixed + self.rng.below((self.fds.len() - self.fixed) as u64) as usize;
            // SAFETY: A descriptor the fuzzer adopted and closes once.
            unsafe { libc::close(self.fds.swap_remove(i)) };
        }
        self.fds.push(fd);
    }

    fn ioctl(&mut self) {
        let cmd = self.command();
        let fd = self.fd();
        // 512 bytes: larger than any zxvmo struct and than what generic VFS
        // ioctls on the other files may write.
        let mut buf = [0u64; 64];
        self.argument(cmd, &mut buf);
        let arg = match self.rng.below(12) {
            0 => 0,
            1 => 0xffff_8000_0000_0000 + self.rng.below(1 << 30) as usize,
            _ => buf.as_mut_ptr() as usize,
        };
        // Other files see only ioctls on /dev/null, a pipe and an eventfd.
        // SAFETY: `arg` is null, a kernel address, or `buf` (512 bytes);
        // buffer fields the kernel writes through lie in the scratch area
        // with room for their length, or nowhere (`argument` sees to it).
        let r = unsafe { libc::ioctl(fd, cmd as libc::c_ulong, arg) };
        self.calls += 1;
        if r < 0 {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            *self.errnos.entry(e).or_default() += 1;
        } else if r > 2 && CMDS.contains(&cmd) && is_zxvmo(r) {
            self.adopt(r);
        }
    }

    fn mmap(&mut self) {
        let fd = self.fd();
        let len = (1 + self.rng.below(8)) * PAGE;
        let prot = self.rng.below(8) as i32;
        let flags = if self.rng.below(8) == 0 {
            libc::MAP_PRIVATE
        } else {
            libc::MAP_SHARED
        };
        let off = (self.rng.below(10) * PAGE) as libc::off_t;
        // SAFETY: A fresh mapping at an address the kernel picks; it is
        // touched only through volatile accesses below and unmapped.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len as usize, prot, flags, fd, off) };
        self.calls += 1;
        if p == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            *self.errnos.entry(e).or_default() += 1;
            return;
        }
        self.mapped += 1;
        // Never touched: a mapping may be MMIO of a device or past a VMO's
        // end. Some stay alive a while; the oldest go first.
        self.maps.push((p as usize, len as usize));
        if self.maps.len() > 16 || self.rng.below(2) == 0 {
            let (addr, len) = self
                .maps
                .swap_remove(self.rng.below(self.maps.len() as u64) as usize);
            // SAFETY: A mapping this fuzzer made and unmaps once.
            unsafe { libc::munmap(addr as *mut _, len) };
        }
    }

    /// Tries a Linux path around the ioctls on a live mapping: `mprotect`,
    /// `mremap`, `remap_file_pages`, `madvise`, a partial `munmap` or a
    /// `fork`. Whatever is refused must be refused cleanly; a mapping whose
    /// range may now hold a gap is unmapped at once (so a later `munmap`
    /// cannot hit someone else's mapping in the gap).
    fn vm_move(&mut self) {
        if self.maps.is_empty() {
            return;
        }
        let i = self.rng.below(self.maps.len() as u64) as usize;
        let (addr, len) = self.maps[i];
        let pages = (len as u64 / PAGE).max(1);
        let off = (self.rng.below(pages) * PAGE) as usize;
        let part = ((1 + self.rng.below(pages - off as u64 / PAGE)) * PAGE) as usize;
        self.calls += 1;
        let mut gap = false;
        // SAFETY: Every call targets (part of) a mapping this fuzzer made and
        // still owns; none of them reads or writes its memory.
        let r: i64 = unsafe {
            match self.rng.below(7) {
                0 => {
                    let prot = self.rng.below(8) as i32;
                    libc::mprotect((addr + off) as *mut _, part, prot) as i64
                }
                1 => {
                    let new_len = ((1 + self.rng.below(8)) * PAGE) as usize;
                    let flags = self.rng.pick(&[0, libc::MREMAP_MAYMOVE]);
                    let p = libc::mremap(addr as *mut _, len, new_len, flags);
                    if p == libc::MAP_FAILED {
                        -1
                    } else {
                        self.maps[i] = (p as usize, new_len);
                        0
                    }
                }
                2 => {
                    let pgoff = self.rng.pick(&[0, 1, 3, 1 << 20, u64::MAX >> 12]);
                    let r =
                        libc::syscall(libc::SYS_remap_file_pages, addr + off, part, 0, pgoff, 0);
                    gap = r != 0;
                    r
                }
                3 => {
                    let advice = self.rng.pick(&[
                        libc::MADV_DONTNEED,
                        libc::MADV_REMOVE,
                        libc::MADV_WILLNEED,
                        libc::MADV_DONTFORK,
                        libc::MADV_DOFORK,
                        libc::MADV_FREE,
                        libc::MADV_COLD,
                        libc::MADV_PAGEOUT,
                    ]);
                    libc::madvise((addr + off) as *mut _, part, advice) as i64
                }
                4 => {
                    gap = true;
                    libc::munmap((addr + off) as *mut _, part) as i64
                }
                5 => {
                    let pid = libc::fork();
                    if pid == 0 {
                        libc::_exit(0);
                    }
                    let mut status = 0;
                    libc::waitpid(pid, &mut status, 0);
                    if pid < 0 {
                        -1
                    } else {
                        0
                    }
                }
                _ => {
                    let tail = libc::mremap(addr as *mut _, len, len.max(2 * PAGE as usize) / 2, 0);
                    if tail != libc::MAP_FAILED {
                        self.maps[i] = (addr, len.max(2 * PAGE as usize) / 2);
                    }
                    if tail == libc::MAP_FAILED {
                        -1
                    } else {
                        0
                    }
                }
            }
        };
        if r != 0 {
            let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
            *self.errnos.entry(e).or_default() += 1;
        }
        if gap {
            let (addr, len) = self.maps.swap_remove(i);
            // SAFETY: The mapping this fuzzer made (with a possible gap that
            // nothing else had the chance to fill yet).
            unsafe { libc::munmap(addr as *mut _, len) };
        }
    }

    /// Builds a chain of children (slices or snapshots, chosen per link)
    /// from a random descriptor, up to a few thousand deep, and closes it
    /// in a random order, keeping one link.
    fn chain(&mut self) {
        let depth = self.rng.pick(&[2, 16, 500, 3000]);
        let mut links = vec![self.fd()];
        let mut owned = Vec::new();
        for _ in 0..depth {
            let mut args = sys::ZxvmoVmoCreateChild {
                options: self
                    .rng
                    .pick(&[sys::ZX_VMO_CHILD_SLICE, sys::ZX_VMO_CHILD_SNAPSHOT]),
                offset: 0,
                size: PAGE,
                ..Default::default()
            };
            let prev = *links.last().unwrap();
            // SAFETY: `args` is a live `ZxvmoVmoCreateChild`; the kernel
            // checks that `prev` is a VMO.
            let r = unsafe {
                libc::ioctl(
                    prev,
                    sys::ZXVMO_IOC_VMO_CREATE_CHILD as libc::c_ulong,
                    &mut args as *mut sys::ZxvmoVmoCreateChild,
                )
            };
            self.calls += 1;
            if r < 0 {
                let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
                *self.errnos.entry(e).or_default() += 1;
                break;
            }
            self.created += 1;
            links.push(r);
            owned.push(r);
        }
        if owned.is_empty() {
            return;
        }
        let keep = owned.swap_remove(self.rng.below(owned.len() as u64) as usize);
        while !owned.is_empty() {
            let fd = owned.swap_remove(self.rng.below(owned.len() as u64) as usize);
            // SAFETY: A descriptor this chain made and closes once.
            unsafe { libc::close(fd) };
        }
        self.adopt(keep);
        self.created -= 1;
    }

    /// Adds fresh objects of every kind: replaced handles die for good, so
    /// without this most calls would meet dead descriptors.
    fn refresh(&mut self, edu: Option<zxvmo::pci::Bar>) {
        let mut fresh: Vec<OwnedFd> = Vec::new();
        if let Ok(v) = Vmo::create(self.rng.below(32) * PAGE) {
            fresh.push(v.into());
        }
        if let Ok(v) = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 8 * PAGE) {
            if let Ok(s) = v.create_child(VmoChildOptions::SLICE, PAGE, 4 * PAGE) {
                fresh.push(s.into());
            }
            if let Ok(s) = v.create_child(VmoChildOptions::SNAPSHOT, 0, 2 * PAGE) {
                fresh.push(s.into());
            }
            fresh.push(v.into());
        }
        if let Ok(root) = Resource::root() {
            if let Some(bar) = edu {
                let flags = if self.rng.below(2) == 0 {
                    ResourceFlags::empty()
                } else {
                    ResourceFlags::EXCLUSIVE
                };
                if let Ok(r) =
                    Resource::create(&root, ResourceKind::Mmio, flags, bar.base, bar.size, "fuzz")
                {
                    if let Ok(v) = Vmo::create_physical(&r, bar.base, PAGE as usize) {
                        fresh.push(v.into());
                    }
                    fresh.push(r.into());
                }
            }
            fresh.push(root.into());
        }
        for f in fresh {
            self.adopt(f.into_raw_fd());
            self.created -= 1;
        }
    }

    fn poll(&mut self) {
        let mut p = libc::pollfd {
            fd: self.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: One valid pollfd, no waiting.
        unsafe { libc::poll(&mut p, 1, 0) };
        self.calls += 1;
    }
}

/// Whether `fd` is an open zxvmo object (its link names a zxvmo anon inode).
fn is_zxvmo(fd: i32) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|l| l.to_string_lossy().contains("zxvmo"))
        .unwrap_or(false)
}

fn system_ram() -> Vec<u64> {
    let iomem = std::fs::read_to_string("/proc/iomem").unwrap_or_default();
    iomem
        .lines()
        .filter(|l| l.contains("System RAM"))
        .filter_map(|l| l.trim().split('-').next())
        .filter_map(|s| u64::from_str_radix(s, 16).ok())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let calls: u64 = zxvmo_vmtests::flag(&args, "--calls").unwrap_or(1_000_000);
    let seconds: u64 = zxvmo_vmtests::flag(&args, "--seconds").unwrap_or(600);
    let seed: u64 = zxvmo_vmtests::flag(&args, "--seed").unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        t | 1
    });
    println!("zxvmo-fuzz: seed {seed} (replay: --seed {seed} --calls {calls})");

    let edu = zxvmo::pci::PciDevice::find(0x1234, 0x11e8).and_then(|d| d.bar(0));
    let ivshmem = zxvmo::pci::PciDevice::find(0x1af4, 0x1110).and_then(|d| d.bar(2));
    let mut addrs = system_ram();
    addrs.extend(edu.iter().chain(ivshmem.iter()).map(|b| b.base));
    addrs.extend([0, PAGE, 0xfee0_0000, 1 << 52, !(PAGE - 1)]);

    // The fixed pool: the device, resources, VMOs of every kind, other files.
    let mut fixed: Vec<OwnedFd> = Vec::new();
    fixed.push(
        std::fs::File::open("/dev/zxvmo")
            .expect("/dev/zxvmo")
            .into(),
    );
    let root = Resource::root().expect("root resource");
    if let Some(bar) = edu {
        let r = Resource::create(
            &root,
            ResourceKind::Mmio,
            ResourceFlags::empty(),
            bar.base,
            bar.size,
            "fuzz",
        )
        .expect("edu resource");
        if let Ok(v) = Vmo::create_physical(&r, bar.base, PAGE as usize) {
            fixed.push(v.into());
        }
        fixed.push(r.into());
    }
    fixed.push(root.into());
    let paged = Vmo::create(16 * PAGE).expect("paged VMO");
    let fixed_size = Vmo::create_with_opts(VmoOptions::NON_RESIZABLE, 8 * PAGE).expect("VMO");
    if let Ok(s) = fixed_size.create_child(VmoChildOptions::SLICE, PAGE, 2 * PAGE) {
        fixed.push(s.into());
    }
    fixed.push(paged.into());
    fixed.push(fixed_size.into());
    fixed.push(std::fs::File::open("/dev/null").unwrap().into());
    let mut pipe = [0; 2];
    // SAFETY: `pipe` has room for two descriptors.
    unsafe { libc::pipe(pipe.as_mut_ptr()) };
    // SAFETY: A new eventfd, no preconditions.
    let efd = unsafe { libc::eventfd(0, 0) };
    let mut fds: Vec<i32> = fixed.into_iter().map(|f| f.into_raw_fd()).collect();
    fds.extend([pipe[0], pipe[1], efd]);

    let mut f = Fuzzer {
        rng: Rng(seed),
        fixed: fds.len(),
        fds,
        scratch: vec![0u8; SCRATCH],
        addrs,
        errnos: BTreeMap::new(),
        calls: 0,
        created: 0,
        mapped: 0,
        maps: Vec::new(),
    };
    // A wait with a far deadline (read from a mutated struct) must not hang
    // the run: a 100 ms interval timer interrupts it (no SA_RESTART).
    extern "C" fn tick(_: libc::c_int) {}
    // SAFETY: Installs a handler that does nothing, and arms a timer.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = tick as *const () as usize;
        libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
        let t = libc::itimerval {
            it_interval: libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            },
            it_value: libc::timeval {
                tv_sec: 0,
                tv_usec: 100_000,
            },
        };
        libc::setitimer(libc::ITIMER_REAL, &t, std::ptr::null_mut());
    }
    let start = Instant::now();
    let limit = Duration::from_secs(seconds);
    while f.calls < calls {
        match f.rng.below(1000) {
            0..=39 => f.mmap(),
            40..=59 => f.poll(),
            60..=99 => f.vm_move(),
            100 => f.chain(),
            _ => f.ioctl(),
        }
        if f.calls.is_multiple_of(4096) && start.elapsed() > limit {
            println!("zxvmo-fuzz: time limit reached");
            break;
        }
        if f.calls.is_multiple_of(250) {
            f.refresh(edu);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let errors: Vec<String> = f.errnos.iter().map(|(e, n)| format!("{e}:{n}")).collect();
    println!(
        "zxvmo-fuzz: {} calls in {secs:.1} s, {} objects created, {} mappings made, errnos {}",
        f.calls,
        f.created,
        f.mapped,
        errors.join(" ")
    );
    println!("ZXVMO-FUZZ-CALLS {}", f.calls);
    for (addr, len) in f.maps.drain(..) {
        // SAFETY: Mappings this fuzzer made, unmapped once.
        unsafe { libc::munmap(addr as *mut _, len) };
    }
    // From 512 on, errnos are the kernel's own inside codes (-ERESTARTSYS,
    // zxvmo's refusal codes, ...): one reaching userspace is a bug.
    let internal: Vec<&i32> = f.errnos.keys().filter(|&&e| e >= 512).collect();
    if !internal.is_empty() {
        println!("zxvmo-fuzz: FAIL: kernel-internal errnos reached userspace: {internal:?}");
        std::process::exit(1);
    }
}
