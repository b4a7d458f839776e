/// The commented `mlgate.yaml` that `mlgate init` writes when a repository has none.
enum StarterConfig {
    static let text = """
        # mlgate.yaml: how mlgate follows this repository's models. Reference: docs/config.md
        version: 1

        # Monorepos: name the folders that hold separate projects. Lineage then shows which projects
        # each commit touched. A project is `name: path` or `name: {path: path}`.
        # projects:
        #   churn: models/churn

        # Git hooks. pre_push: warn (default), strict or off.
        hooks:
          pre_push: warn

        # Coming with later mlgate versions (accepted here, not yet acted on):
        # stages:   the training pipeline (commands, dependencies, outputs)
        # models:   how each model is evaluated and promoted
        # deploy:   where promoted models go

        """
}
