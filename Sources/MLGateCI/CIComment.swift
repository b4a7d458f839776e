import MLGateRegistry
import MLGatePipeline
import Foundation
package import MLGateCore
import MLGateWorkspace
import MLGateNotify

/// The pull request comment of `mlgate ci --comment`: one sticky comment per job kind, found again by a hidden
/// marker and edited in place, through the GitHub or GitLab API (libcurl, loaded only here).
package enum CIComment {
    /// Why no comment was posted.
    package struct Problem: Error, CustomStringConvertible {
        package let description: String
    }

    /// Posts or updates the comment; returns what happened, in words.
    package static func post(provider: CIProvider, number: Int, body: String, token: String, marker: String,
                     environment: [String: String]) -> Result<String, Problem> {
        let forge: Forge
        switch provider {
        case .github:
            guard let repository = environment["GITHUB_REPOSITORY"], !repository.isEmpty else {
                return .failure(Problem(description: "GITHUB_REPOSITORY is not set, so the pull request cannot be named"))
            }
            forge = Forge(kind: .github, apiBase: environment["GITHUB_API_URL"] ?? Forge.githubAPI, project: repository, number: number, token: token)
        case .gitlab:
            guard let project = environment["CI_PROJECT_ID"], !project.isEmpty else {
                return .failure(Problem(description: "CI_PROJECT_ID is not set, so the merge request cannot be named"))
            }
            forge = Forge(kind: .gitlab, apiBase: environment["CI_API_V4_URL"] ?? Forge.gitlabAPI, project: project, number: number, token: token)
        default:
            return .failure(Problem(description: "comments are posted on GitHub and GitLab; on \(provider.displayName) the summary is in the reports"))
        }
        do {
            let outcome = try StickyComment(forge: forge, marker: marker, client: HTTPClient()).upsert(body: body)
            switch outcome {
            case .created(let id, let url): return .success("posted comment \(id) on #\(number)" + (url.map { " (\($0))" } ?? ""))
            case .updated(let id, let url): return .success("updated comment \(id) on #\(number)" + (url.map { " (\($0))" } ?? ""))
            }
        } catch {
            return .failure(Problem(description: String(describing: error)))
        }
    }
}
