#if canImport(Glibc)
import Glibc
#endif

/// An order-preserving map from a score to an unsigned key: `a < b` exactly when `key(a) < key(b)`,
/// and −0.0 and +0.0 share one key (scikit-learn puts them in one tie group).
@inline(__always)
func orderKey(_ score: Double) -> UInt64 {
    let bits = (score + 0.0).bitPattern  // −0.0 + 0.0 is +0.0
    return bits >> 63 != 0 ? ~bits : bits | (1 << 63)
}

/// The score a key stands for (the inverse of `orderKey`).
@inline(__always)
func score(fromKey key: UInt64) -> Double {
    Double(bitPattern: key >> 63 != 0 ? key & ~(1 << 63) : ~key)
}

/// Something an LSD radix sort can order: an unsigned 64-bit key.
protocol RadixSortable {
    var radixKey: UInt64 { get }
}

extension UInt64: RadixSortable {
    @inline(__always) var radixKey: UInt64 { self }
}

/// A key with the row it came from, for sorts whose result must point back at rows (weights, DeLong).
struct KeyedRow: RadixSortable {
    var key: UInt64
    var row: Int

    @inline(__always) var radixKey: UInt64 { key }
}

/// Memory for large work buffers, advised to use huge pages: fresh 4 KB pages cost more than the
/// sort itself at 10⁷ keys (anchors-eval, swift-kernel-notes #7).
public func allocateLarge<Element>(_ type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
    let bytes = max(1, count * MemoryLayout<Element>.stride)
    let huge = bytes >= 1 << 21
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, huge ? 1 << 21 : 64, bytes) == 0, let raw else {
        // Out of memory: let Swift's allocator report it the way it reports every failed allocation.
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
        return pointer
    }
    if huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
    return raw.bindMemory(to: Element.self, capacity: count)
}

/// Frees memory from `allocateLarge`.
public func deallocateLarge<Element>(_ pointer: UnsafeMutablePointer<Element>) {
    free(pointer)
}

/// Sorts `count` elements ascending by key: LSD radix with 8-bit digits, all eight histograms from one
/// counting pass, and passes skipped where every element has the same digit (the top bytes of
/// probabilities never vary). Not stable-sensitive: equal keys form one tie group anyway.
/// `scratch`, when given, must hold `count` elements; otherwise one is allocated.
func radixSort<Element: RadixSortable>(_ data: UnsafeMutablePointer<Element>, count: Int, scratch given: UnsafeMutablePointer<Element>? = nil) {
    guard count > 1 else { return }
    let scratch = given ?? allocateLarge(Element.self, count: count)
    defer { if given == nil { deallocateLarge(scratch) } }
    let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 256)
    defer { counts.deallocate() }
    counts.initialize(repeating: 0, count: 8 * 256)
    var index = 0
    while index < count {
        let key = data[index].radixKey
        var digit = 0
        while digit < 8 {
            counts[digit &* 256 &+ Int(truncatingIfNeeded: (key &>> UInt64(digit &* 8)) & 0xFF)] &+= 1
            digit &+= 1
        }
        index &+= 1
    }
    var source = data
    var target = scratch
    for digit in 0..<8 {
        let bucket = counts + digit * 256
        let shift = UInt64(digit * 8)
        if bucket[Int(truncatingIfNeeded: (source[0].radixKey &>> shift) & 0xFF)] == count { continue }
        var offset = 0
        for value in 0..<256 {
            let size = bucket[value]
            bucket[value] = offset
            offset &+= size
        }
        index = 0
        while index < count {
            let element = source[index]
            let slot = Int(truncatingIfNeeded: (element.radixKey &>> shift) & 0xFF)
            (target + bucket[slot]).initialize(to: element)
            bucket[slot] &+= 1
            index &+= 1
        }
        swap(&source, &target)
    }
    if source != data { data.update(from: source, count: count) }
}

extension Array where Element: RadixSortable {
    /// Sorts in place by `radixKey`, ascending.
    mutating func radixSort() {
        let count = self.count
        withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            MLGateEval.radixSort(base, count: count)
        }
    }
}
