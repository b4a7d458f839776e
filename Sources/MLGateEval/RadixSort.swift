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

/// A key with its payload (row << 1 | label), the element the argsort moves: 16 bytes.
struct KeyedRow {
    var key: UInt64
    var payload: UInt32
    var spare: UInt32 = 0
}

/// Large work buffers freed by one computation and taken by the next (the second model's sort, DeLong's
/// components, a benchmark's next repetition): zeroing fresh pages cost as much as the sort at 10⁷ rows.
/// At most four buffers are kept; the pool is guarded by a mutex.
private enum BufferPool {
    nonisolated(unsafe) static var free: [(pointer: UnsafeMutableRawPointer, bytes: Int)] = []
    nonisolated(unsafe) static var lock = pthread_mutex_t()
    static let minimum = 8 << 20

    /// Runs `body` with the pool locked.
    static func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }

    /// A kept buffer of at least `bytes` (and at most twice that), if any.
    static func take(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes >= minimum else { return nil }
        return locked {
            guard let index = free.firstIndex(where: { $0.bytes >= bytes && $0.bytes <= 2 * bytes }) else { return nil }
            return free.remove(at: index).pointer
        }
    }

    /// Keeps a buffer for reuse; false when the pool is full (the caller frees it).
    static func keep(_ pointer: UnsafeMutableRawPointer) -> Bool {
        locked {
            guard let bytes = sizes[pointer], free.count < 4 else { return false }
            free.append((pointer, bytes))
            return true
        }
    }

    /// The size of every pooled-size buffer handed out, by address.
    nonisolated(unsafe) static var sizes: [UnsafeMutableRawPointer: Int] = [:]
}

/// Memory for large work buffers, advised to use huge pages: fresh 4 KB pages cost more than the
/// sort itself at 10⁷ keys (anchors-eval, swift-kernel-notes #7). Buffers of 8 MB and more come from and go
/// back to a small pool. The contents are uninitialised.
public func allocateLarge<Element>(_ type: Element.Type, count: Int) -> UnsafeMutablePointer<Element> {
    let bytes = max(1, count * MemoryLayout<Element>.stride)
    if let reused = BufferPool.take(bytes) { return reused.bindMemory(to: Element.self, capacity: count) }
    let huge = bytes >= 1 << 21
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, huge ? 1 << 21 : 64, bytes) == 0, let raw else {
        // Out of memory: let Swift's allocator report it the way it reports every failed allocation.
        let pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
        return pointer
    }
    if huge { _ = madvise(raw, bytes, MADV_HUGEPAGE) }
    if bytes >= BufferPool.minimum { BufferPool.locked { BufferPool.sizes[raw] = bytes } }
    return raw.bindMemory(to: Element.self, capacity: count)
}

/// Frees memory from `allocateLarge` (or keeps it in the pool for the next large buffer).
public func deallocateLarge<Element>(_ pointer: UnsafeMutablePointer<Element>) {
    let raw = UnsafeMutableRawPointer(pointer)
    if BufferPool.keep(raw) { return }
    BufferPool.locked { _ = BufferPool.sizes.removeValue(forKey: raw) }
    free(pointer)
}

/// The argsort behind `ScoreOrder`: rows in descending score order, each entry `row << 2 | label << 1 |
/// groupEnd` (group end: the next entry has a lower score, or there is none).
///
/// One MSD pass on the top 12 varying key bits splits the rows into buckets (both cores, each half of the
/// rows scattered to its own offsets), then each bucket is sorted where it sits in cache (LSD radix on the
/// remaining bits, insertion sort when small, another MSD pass when a bucket is still large) and written out
/// reversed. The DRAM traffic is one scatter instead of seven LSD passes. Equal keys need no stable order:
/// they form one tie group.
enum ScoreSort {
    static let topBits = 12

    /// The entries for `scores` and 0/1 `labels` (at most 2³⁰ rows).
    static func descendingEntries(labels: [UInt8], scores: [Double]) -> [UInt32] {
        let count = scores.count
        guard count > 0 else { return [] }
        return [UInt32](unsafeUninitializedCapacity: count) { output, initialized in
            labels.withUnsafeBufferPointer { label in
                scores.withUnsafeBufferPointer { score in
                    guard let label = label.baseAddress, let score = score.baseAddress, let out = output.baseAddress else { return }
                    sort(score, label, count, into: out)
                }
            }
            initialized = count
        }
    }

    private static func sort(_ score: UnsafePointer<Double>, _ label: UnsafePointer<UInt8>, _ count: Int, into out: UnsafeMutablePointer<UInt32>) {
        let threads = count >= 1 << 16 ? 2 : 1
        let halves = (0..<threads).map { (count * $0 / threads, count * ($0 + 1) / threads) }
        // 1. The range of keys, to find the bits that vary.
        let ranges = UnsafeMutablePointer<(UInt64, UInt64)>.allocate(capacity: threads)
        defer { ranges.deallocate() }
        Parallel.forEach(threads) { thread in
            let (from, to) = halves[thread]
            var low = UInt64.max, high = UInt64.min
            var index = from
            while index < to {
                let key = orderKey(score[index])
                low = min(low, key)
                high = max(high, key)
                index &+= 1
            }
            (ranges + thread).initialize(to: (low, high))
        }
        var low = UInt64.max, high = UInt64.min
        for thread in 0..<threads { low = min(low, ranges[thread].0); high = max(high, ranges[thread].1) }
        if low == high {
            // One tie group.
            var index = 0
            while index < count {
                out[index] = UInt32(truncatingIfNeeded: index) << 2 | UInt32(label[index]) << 1
                index &+= 1
            }
            out[count - 1] |= 1
            return
        }
        let varying = 64 - (low ^ high).leadingZeroBitCount
        let digits = min(topBits, varying)
        let shift = UInt64(varying - digits)
        let mask = UInt64((1 << digits) - 1)
        let buckets = 1 << digits
        // 2. Histograms, one per half.
        let histograms = UnsafeMutablePointer<Int>.allocate(capacity: threads * buckets)
        defer { histograms.deallocate() }
        histograms.initialize(repeating: 0, count: threads * buckets)
        Parallel.forEach(threads) { thread in
            let (from, to) = halves[thread]
            let histogram = histograms + thread * buckets
            var index = from
            while index < to {
                histogram[Int(truncatingIfNeeded: (orderKey(score[index]) &>> shift) & mask)] &+= 1
                index &+= 1
            }
        }
        // Offsets: bucket by bucket, each half's rows after the previous half's.
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: buckets + 1)
        defer { starts.deallocate() }
        var offset = 0
        for bucket in 0..<buckets {
            starts[bucket] = offset
            for thread in 0..<threads {
                let size = histograms[thread * buckets + bucket]
                histograms[thread * buckets + bucket] = offset
                offset &+= size
            }
        }
        starts[buckets] = count
        // 3. Scatter.
        let elements = allocateLarge(KeyedRow.self, count: count)
        defer { deallocateLarge(elements) }
        Parallel.forEach(threads) { thread in
            let (from, to) = halves[thread]
            let cursor = histograms + thread * buckets
            var index = from
            while index < to {
                let key = orderKey(score[index])
                let bucket = Int(truncatingIfNeeded: (key &>> shift) & mask)
                (elements + cursor[bucket]).initialize(to: KeyedRow(key: key, payload: UInt32(truncatingIfNeeded: index) << 1 | UInt32(label[index])))
                cursor[bucket] &+= 1
                index &+= 1
            }
        }
        // 4. Buckets, split between the threads at the middle row; each sorted in cache and written reversed.
        var cut = 0
        while cut < buckets, starts[cut + 1] <= count / 2 { cut += 1 }
        let bucketRanges = threads == 1 ? [(0, buckets)] : [(0, cut), (cut, buckets)]
        Parallel.forEach(threads) { thread in
            let (first, last) = bucketRanges[thread]
            var largest = 0
            for bucket in first..<last { largest = max(largest, starts[bucket + 1] - starts[bucket]) }
            let scratch = allocateLarge(KeyedRow.self, count: largest)
            defer { deallocateLarge(scratch) }
            for bucket in first..<last {
                let start = starts[bucket], size = starts[bucket + 1] - start
                guard size > 0 else { continue }
                sortRange(elements + start, size, bits: Int(shift), scratch: scratch)
                emit(elements + start, size, into: out + (count - start - size))
            }
        }
    }

    /// Writes an ascending run as descending entries, with group ends (the run's lowest element always ends
    /// its group: the element after it, if any, lies in a lower bucket).
    @inline(__always)
    private static func emit(_ run: UnsafeMutablePointer<KeyedRow>, _ size: Int, into out: UnsafeMutablePointer<UInt32>) {
        var index = 0
        var previous = run[0].key &- 1
        while index < size {
            let element = run[index]
            let end: UInt32 = index == 0 || element.key != previous ? 1 : 0
            out[size &- 1 &- index] = element.payload << 1 | end
            previous = element.key
            index &+= 1
        }
    }

    /// Sorts `count` elements ascending by their low `bits` key bits (the bits above are equal): MSD passes
    /// sized so buckets hold about eight elements (in cache after the first level), insertion sort below 40.
    static func sortRange(_ data: UnsafeMutablePointer<KeyedRow>, _ count: Int, bits: Int, scratch: UnsafeMutablePointer<KeyedRow>) {
        if count <= 40 || bits == 0 {
            if bits > 0 { insertionSort(data, count) }
            return
        }
        var low = UInt64.max, high = UInt64.min
        for index in 0..<count { low = min(low, data[index].key); high = max(high, data[index].key) }
        if low == high { return }
        let varying = 64 - (low ^ high).leadingZeroBitCount
        let wanted = max(4, min(11, (Int.bitWidth - count.leadingZeroBitCount) - 3))
        let digits = min(wanted, varying)
        let shift = UInt64(varying - digits)
        let mask = UInt64((1 << digits) - 1)
        let buckets = 1 << digits
        let starts = UnsafeMutablePointer<Int>.allocate(capacity: 2 * buckets + 1)
        defer { starts.deallocate() }
        starts.initialize(repeating: 0, count: buckets + 1)
        for index in 0..<count { starts[Int(truncatingIfNeeded: (data[index].key &>> shift) & mask) &+ 1] &+= 1 }
        for bucket in 0..<buckets { starts[bucket + 1] &+= starts[bucket] }
        let cursor = starts + buckets + 1
        cursor.initialize(from: starts, count: buckets)
        for index in 0..<count {
            let element = data[index]
            let bucket = Int(truncatingIfNeeded: (element.key &>> shift) & mask)
            (scratch + cursor[bucket]).initialize(to: element)
            cursor[bucket] &+= 1
        }
        data.update(from: scratch, count: count)
        for bucket in 0..<buckets {
            let start = starts[bucket], size = starts[bucket + 1] - start
            if size > 1 { sortRange(data + start, size, bits: Int(shift), scratch: scratch + start) }
        }
    }

    @inline(__always)
    private static func insertionSort(_ data: UnsafeMutablePointer<KeyedRow>, _ count: Int) {
        var index = 1
        while index < count {
            let element = data[index]
            var hole = index
            while hole > 0, data[hole &- 1].key > element.key {
                data[hole] = data[hole &- 1]
                hole &-= 1
            }
            data[hole] = element
            index &+= 1
        }
    }
}

/// `values` (no NaN) in ascending order, by a least-significant-digit radix sort of their order keys: eight passes
/// of 8 bits, each skipped when every key shares that digit.
///
/// The drift statistics sort both samples of every column (a million values each in `make bench-monitor`); this is
/// several times faster there than the standard library's comparison sort, and gives the same order. Digits of 8
/// bits keep the 256 counters and write positions of a pass in L1 (16-bit digits scatter to 65,536 places), the
/// counts of every pass are taken in one read, and the two key buffers come from the large-buffer pool, so the
/// columns sorted one after another reuse their pages instead of faulting fresh ones. The values come back from
/// their keys, so a −0.0 comes back as +0.0 (one key, and equal as numbers: no statistic changes).
func radixSorted(_ values: [Double]) -> [Double] {
    let count = values.count
    guard count > 512 else { return values.sorted() }
    let keys = allocateLarge(UInt64.self, count: count), scratch = allocateLarge(UInt64.self, count: count)
    defer {
        deallocateLarge(keys)
        deallocateLarge(scratch)
    }
    var counts = [Int](repeating: 0, count: 8 << 8)
    return counts.withUnsafeMutableBufferPointer { counts in
        values.withUnsafeBufferPointer { values in
            for index in 0..<count {
                let key = orderKey(values[index])
                keys[index] = key
                var digits = key
                for pass in 0..<8 {
                    counts[(pass << 8) | Int(digits & 0xFF)] &+= 1
                    digits >>= 8
                }
            }
        }
        var source = keys, target = scratch
        for pass in 0..<8 {
            let base = pass << 8, shift = UInt64(8 * pass)
            // Every key has the same digit here: the pass would copy them in order.
            if counts[base | Int((source[0] >> shift) & 0xFF)] == count { continue }
            var offset = 0
            for bucket in base..<(base + 256) {
                let size = counts[bucket]
                counts[bucket] = offset
                offset &+= size
            }
            for index in 0..<count {
                let key = source[index]
                let bucket = base | Int((key >> shift) & 0xFF)
                target[counts[bucket]] = key
                counts[bucket] &+= 1
            }
            swap(&source, &target)
        }
        // The inverse of `orderKey`: a set top bit was a non-negative value's sign bit turned on; otherwise every bit was flipped.
        let sorted = source
        return [Double](unsafeUninitializedCapacity: count) { output, initialized in
            for index in 0..<count {
                let key = sorted[index]
                output[index] = Double(bitPattern: key >> 63 != 0 ? key & ~(1 << 63) : ~key)
            }
            initialized = count
        }
    }
}
