//! A declared length is not a reason to allocate: DER that announces 113 MB inside a few bytes is
//! refused without any allocation near that size (the `cms` fuzz target found `der` allocating
//! the declared length first; `jpid_verify::der_input` walks the structure before decoding).
//!
//! One test in its own binary, so the counting allocator sees nothing but this test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use jpid_verify::revocation::LoadedCrl;
use jpid_verify::signature::verify_cms;
use jpid_verify::x509::ParsedCert;
use jpid_verify::{RevocationPolicy, TrustStore, UnixTime};

/// Remembers the largest single allocation asked for.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Largest = Largest;

/// A SEQUENCE header declaring 0x06BE0201 = 113 115 649 value bytes, and nothing after it.
const LIE: [u8; 6] = [0x30, 0x84, 0x06, 0xBE, 0x02, 0x01];

fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let value = parts.concat();
    let len = u8::try_from(value.len()).expect("short test objects");
    assert!(len < 0x80);
    [vec![tag, len], value].concat()
}

/// The largest allocation `f` makes.
fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, usize) {
    LARGEST.store(0, Ordering::SeqCst);
    let out = f();
    (out, LARGEST.load(Ordering::SeqCst))
}

#[test]
fn lying_lengths_inside_cms_certificates_and_crls_allocate_nothing_near_their_claim() {
    const LIMIT: usize = 1 << 20;
    let trust = TrustStore::production();
    let oid = [0x06, 0x03, 0x2A, 0x03, 0x04];

    // ContentInfo { signedData, [0] { SEQUENCE claiming 113 MB } }: the fuzzer's shape.
    let signed_data_oid = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
    ];
    let p7s = tlv(0x30, &[&signed_data_oid, &tlv(0xA0, &[&LIE])]);
    let (result, largest) = largest_allocation(|| {
        verify_cms(
            &[0; 32],
            &p7s,
            &trust,
            UnixTime::parse("2027-01-01").unwrap(),
            RevocationPolicy::NotChecked,
        )
    });
    assert!(result.is_err(), "a lying CMS was accepted");
    assert!(largest < LIMIT, "CMS: allocated {largest} bytes");

    // A certificate whose signature algorithm's parameters claim 113 MB.
    let cert = tlv(
        0x30,
        &[&tlv(
            0x30,
            &[
                &tlv(0xA0, &[&[0x02, 0x01, 0x02]]),
                &[0x02, 0x01, 0x01],
                &tlv(0x30, &[&oid, &LIE]),
            ],
        )],
    );
    let (result, largest) = largest_allocation(|| ParsedCert::parse(&cert));
    assert!(result.is_err(), "a lying certificate parsed");
    assert!(largest < LIMIT, "certificate: allocated {largest} bytes");

    // A CRL with the same lie in its signature algorithm.
    let crl = tlv(
        0x30,
        &[&tlv(
            0x30,
            &[&[0x02, 0x01, 0x01], &tlv(0x30, &[&oid, &LIE])],
        )],
    );
    let (result, largest) = largest_allocation(|| LoadedCrl::parse("lying.crl", &crl));
    assert!(result.is_err(), "a lying CRL parsed");
    assert!(largest < LIMIT, "CRL: allocated {largest} bytes");
}
