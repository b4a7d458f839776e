/// The metrics the evaluation kernel computes, per task, and which way is better for each.
public enum MetricCatalog {
    /// The metric names of `task` (`binary`, `multiclass`, `regression`), or nil for an unknown task.
    public static func names(task: String) -> [String]? {
        switch task {
        case "binary":
            ["roc_auc", "average_precision", "accuracy", "precision", "recall", "f1", "log_loss", "brier_score",
             "specificity", "balanced_accuracy", "matthews_corrcoef"]
        case "multiclass":
            ["accuracy", "precision_macro", "precision_micro", "precision_weighted", "recall_macro", "recall_micro",
             "recall_weighted", "f1_macro", "f1_micro", "f1_weighted", "log_loss", "roc_auc_ovr", "roc_auc_ovr_weighted"]
        case "regression":
            ["mse", "rmse", "mae", "r2", "median_absolute_error", "mape"]
        default:
            nil
        }
    }

    /// Every metric name of every task, without repeats, in task order.
    public static var allNames: [String] {
        var seen = Set<String>()
        return ["binary", "multiclass", "regression"].flatMap { names(task: $0) ?? [] }.filter { seen.insert($0).inserted }
    }

    /// Whether larger values of a built-in metric are better; nil for a name the kernel does not know.
    public static func higherIsBetter(_ metric: String) -> Bool? {
        switch metric {
        case "log_loss", "brier_score", "mse", "rmse", "mae", "median_absolute_error", "mape": false
        case "roc_auc", "average_precision", "accuracy", "precision", "recall", "f1", "specificity", "balanced_accuracy",
             "matthews_corrcoef", "precision_macro", "precision_micro", "precision_weighted", "recall_macro", "recall_micro",
             "recall_weighted", "f1_macro", "f1_micro", "f1_weighted", "roc_auc_ovr", "roc_auc_ovr_weighted", "r2": true
        default: nil
        }
    }
}
