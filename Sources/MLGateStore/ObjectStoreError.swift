public import MLGateCore
import MLGateSystem
#if canImport(Glibc)
import Glibc
#endif

/// A failure reading or writing the object store, naming the file and what to do.
public enum ObjectStoreError: MLGateError, Equatable {
    /// A system call failed on `path`.
    case io(String, String, Int32)
    /// An object's content no longer matches its name.
    case corrupt(hash: String, path: String, found: String)
    /// An object the caller needs is not in the store.
    case missing(hash: String, what: String)
    /// A path the caller asked to store does not exist or is not a regular file or directory.
    case notFound(String)
    /// An object reference that is not a content hash (`../../etc/passwd`): no file is opened for it.
    case malformedHash(String)
    /// A symbolic link inside a folder being hashed leads out of the repository.
    case linkLeaves(path: String, target: String)
    /// A directory manifest naming a file outside its folder (`../x`, `/etc/x`) or a malformed hash.
    case unsafeManifest(hash: String, entry: String)

    public var category: FailureCategory {
        switch self {
        case .io, .missing: .environment
        case .corrupt, .unsafeManifest: .refused
        case .notFound, .malformedHash, .linkLeaves: .invalidInput
        }
    }

    public var description: String {
        switch self {
        case .io(let operation, let path, let code):
            let reason = String(cString: strerror(code))
            let hint = code == ENOSPC || code == EDQUOT ? " (the disk is full: free space and retry)"
                : code == EFBIG ? " (the file-size limit, ulimit -f, is too low)"
                : code == EACCES || code == EPERM ? " (check the permissions)" : ""
            return "could not \(operation) \(path): \(reason)\(hint)"
        case .corrupt(let hash, let path, let found):
            return "object \(hash) is damaged: \(path) hashes to \(found). Run 'mlgate fsck' and restore it with 'mlgate pull', or delete it and re-run the stage that made it."
        case .missing(let hash, let what):
            return "object \(hash) (\(what)) is not in the store; run 'mlgate pull' or re-run the stage that made it."
        case .notFound(let path):
            return "\(path) does not exist (or is not a file or folder)."
        case .linkLeaves(let path, let target):
            return "\(path) is a symbolic link to \(target), outside the repository; mlgate does not read outside it through a link. Replace the link with the files, or move them into the repository."
        case .malformedHash(let text):
            return "'\(text.prefix(80))' is not an object hash (64 lowercase hex digits), so no file was opened for it; the record naming it was damaged or forged."
        case .unsafeManifest(let hash, let entry):
            return "the folder manifest \(hash) names '\(entry.prefix(120))', which is not a file inside the folder; nothing was written. The object was forged or damaged: delete it and restore it with 'mlgate pull'."
        }
    }
}
