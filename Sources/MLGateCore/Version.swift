/// The version this binary reports.
public enum MLGateVersion {
    /// Semantic version of the mlgate binary.
    public static let current = "0.1.0"
}
