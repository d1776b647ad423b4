import ArgumentParser
import Foundation

/// `intellicore`: the platform from a terminal. It talks to the services' HTTP APIs and to Kafka
/// like any outside client; `./intellicore` runs it for everything but building and testing.
@main
struct IntelliCoreCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intellicore",
        abstract: "Drive an IntelliCore platform: tenants and keys, datasets, training, models, predictions, events, usage.",
        discussion: """
            Tables by default, --json for scripts. Exit status: 0 done; 1 the platform refused the request \
            (4xx); 3 it could not be reached or failed (5xx); 4 the work ran and failed (a training job, a demo \
            check); 64 the command line is wrong.
            """,
        subcommands: [Dev.self, Tenants.self, Keys.self, Datasets.self, Train.self, Models.self, Predict.self,
                      Events.self, Usage.self, Invoices.self, Demo.self])

    /// Runs the command and turns a `CLIError` into its message, its hint and its exit status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            Terminal.warn(Terminal.styled("error: ", .red, .bold) + error.message)
            if let hint = error.hint { Terminal.warn(Terminal.styled("  → ", .yellow) + hint) }
            Foundation.exit(error.kind.rawValue)
        } catch {
            exit(withError: error)
        }
    }
}
