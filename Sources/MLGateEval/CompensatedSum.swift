/// Neumaier's compensated sum: the total of many doubles to within a few ulps, in a fixed order.
struct CompensatedSum {
    private(set) var sum = 0.0
    private var compensation = 0.0

    @inline(__always)
    mutating func add(_ value: Double) {
        let total = sum + value
        if abs(sum) >= abs(value) {
            compensation += (sum - total) + value
        } else {
            compensation += (value - total) + sum
        }
        sum = total
    }

    /// The compensated total.
    var value: Double { sum + compensation }
}
