/// Rows in descending score order with their labels and tie-group ends: the order every weighted
/// computation walks (weighted AUC/AP, each bootstrap resample, DeLong's components). Built by one
/// radix argsort; walking it needs no sort and touches the rows' weights in sorted order.
struct SortedWalk: Sendable {
    /// Row index (low 31 bits) and label (top bit), highest score first.
    let entries: [UInt32]
    /// 1 where a tie group ends.
    let groupEnds: [UInt8]

    static let labelBit: UInt32 = 1 << 31

    init(labels: [UInt8], scores: [Double]) {
        let count = scores.count
        let rows = allocateLarge(KeyedRow.self, count: count)
        defer { deallocateLarge(rows) }
        scores.withUnsafeBufferPointer { score in
            for row in 0..<count { (rows + row).initialize(to: KeyedRow(key: orderKey(score[row]), row: row)) }
        }
        radixSort(rows, count: count)
        entries = [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            labels.withUnsafeBufferPointer { label in
                for position in 0..<count {
                    let row = rows[count - 1 - position].row
                    buffer[position] = UInt32(truncatingIfNeeded: row) | (label[row] == 1 ? Self.labelBit : 0)
                }
            }
            initialized = count
        }
        groupEnds = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for position in 0..<count {
                let here = rows[count - 1 - position].key
                buffer[position] = position == count - 1 || rows[count - 2 - position].key != here ? 1 : 0
            }
            initialized = count
        }
    }

    var count: Int { entries.count }

    /// 2U, the weighted positives and negatives, and Σ_k P_k·TP_k/(TP_k+FP_k) for row weights `weights`.
    func rankingSums(weights: [Double]) -> (twoU: Double, positive: Double, negative: Double, precision: Double) {
        weights.withUnsafeBufferPointer { weight in rankingSums { weight[$0] } }
    }

    /// The same for small integer weights (bootstrap counts): 1 byte a row keeps the randomly accessed
    /// weights in cache, which is what the walk waits on.
    func rankingSums(counts: [UInt8]) -> (twoU: Double, positive: Double, negative: Double, precision: Double) {
        counts.withUnsafeBufferPointer { count in rankingSums { Double(count[$0]) } }
    }

    @inline(__always)
    private func rankingSums(_ weightOfRow: (Int) -> Double) -> (twoU: Double, positive: Double, negative: Double, precision: Double) {
        entries.withUnsafeBufferPointer { entry in
            groupEnds.withUnsafeBufferPointer { end in
                var groupPositive = 0.0, groupNegative = 0.0
                var positiveAbove = 0.0, negativeAbove = 0.0, twoU = 0.0, precision = 0.0
                for position in 0..<entry.count {
                    let value = entry[position]
                    let weight = weightOfRow(Int(value & ~Self.labelBit))
                    let positive = Double(value >> 31) * weight
                    groupPositive += positive
                    groupNegative += weight - positive
                    if end[position] != 0 {
                        twoU += groupNegative * (2 * positiveAbove + groupPositive)
                        positiveAbove += groupPositive
                        negativeAbove += groupNegative
                        if groupPositive > 0 { precision += groupPositive * (positiveAbove / (positiveAbove + negativeAbove)) }
                        groupPositive = 0
                        groupNegative = 0
                    }
                }
                return (twoU, positiveAbove, negativeAbove, precision)
            }
        }
    }
}
