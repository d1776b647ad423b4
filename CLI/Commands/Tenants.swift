import ArgumentParser
import Foundation
import IntelliCoreEvents

/// Tenants, created by the platform administrator.
struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create tenants (the platform administrator's key).", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant and issue its first admin key.")

        @Argument(help: "The tenant id: 2–63 lower-case letters, digits and dashes.")
        var tenant: String

        @Option(help: "A display name (default: the id).")
        var name: String?

        @Option(help: "The billing plan (free, pro, …).")
        var plan = "free"

        @Flag(help: "Keep the admin key in INTELLICORE_KEY_FILE (default ~/.config/intellicore/key) for later commands.")
        var saveKey = false

        @OptionGroup var connection: Connection

        func run() async throws {
            let client = connection.client
            let admin = try connection.adminKey()
            let created = try await client.call("POST", .gateway, "/v1/tenants", key: admin,
                                                body: .object(["tenant_id": .string(tenant), "name": .string(name ?? tenant), "plan": .string(plan)]))
            let issued = try await client.call("POST", .gateway, "/v1/tenants/\(tenant.pathSegment)/keys", key: admin, body: .object(["role": "admin"]))
            if saveKey, let key = issued["key"]?.string {
                let path = Connection.savedKeyPath
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: path, contents: Data(key.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw CLIError(.failed, "the tenant was created but its key could not be saved in \(path)",
                                   hint: "issue another with the administrator's key: INTELLICORE_KEY=<admin key> intellicore keys issue --tenant \(tenant) --role admin")
                }
            }
            if connection.json {
                Terminal.line(JSONValue.object(["tenant": created, "key": issued]).pretty())
                return
            }
            Table(["tenant", "name", "plan"], rows: [[created["tenant_id"]?.string ?? tenant, created["name"]?.string ?? "", created["plan"]?.string ?? plan]]).print()
            Terminal.line()
            Terminal.line("admin key \(issued["key_id"]?.string ?? ""): " + Terminal.styled(issued["key"]?.string ?? "", .bold))
            Terminal.line(Terminal.styled(saveKey ? "saved in \(Connection.savedKeyPath); later commands use it" :
                                            "shown once: export INTELLICORE_KEY=… (or create with --save-key)", .dim))
        }
    }
}

/// API keys of a tenant: viewer < developer < admin.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Issue, list and revoke a tenant's API keys (an admin key of the tenant).",
                                                    subcommands: [Issue.self, List.self, Revoke.self])

    struct TenantOption: ParsableArguments {
        @Option(help: "The tenant (default: INTELLICORE_TENANT).")
        var tenant: String?

        func resolved() throws -> String {
            guard let tenant = tenant ?? ProcessInfo.processInfo.environment["INTELLICORE_TENANT"] else {
                throw ValidationError("name the tenant: --tenant ID or INTELLICORE_TENANT")
            }
            return tenant
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a key; it is shown once.")
        @Option(help: "viewer, developer or admin") var role = "developer"
        @OptionGroup var tenant: TenantOption
        @OptionGroup var connection: Connection

        func run() async throws {
            let issued = try await connection.client.call("POST", .gateway, "/v1/tenants/\(try tenant.resolved().pathSegment)/keys",
                                                          key: try connection.apiKey(), body: .object(["role": .string(role)]))
            if connection.json { return Terminal.line(issued.pretty()) }
            Table(["key id", "role", "key"], rows: [[Format.cell(issued["key_id"]), Format.cell(issued["role"]), Format.cell(issued["key"])]]).print()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tenant's keys (ids and roles, never the keys).")
        @OptionGroup var tenant: TenantOption
        @OptionGroup var connection: Connection

        func run() async throws {
            let items = try await connection.client.all(.gateway, "/v1/tenants/\(try tenant.resolved().pathSegment)/keys", key: try connection.apiKey())
            if connection.json { return Terminal.line(JSONValue.array(items).pretty()) }
            Table(["key id", "role", "issued", "revoked"], rows: items.map {
                [Format.cell($0["key_id"]), Format.cell($0["role"]), Format.cell($0["issued_at"]), Format.cell($0["revoked_at"])]
            }).print()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: refused everywhere within seconds.")
        @Argument(help: "The key id.") var keyId: String
        @OptionGroup var tenant: TenantOption
        @OptionGroup var connection: Connection

        func run() async throws {
            _ = try await connection.client.send("DELETE", .gateway, "/v1/tenants/\(try tenant.resolved().pathSegment)/keys/\(keyId.pathSegment)",
                                                 key: try connection.apiKey())
            Terminal.line("revoked \(keyId)")
        }
    }
}
