import ArgumentParser
import Foundation
import IntelliCoreEvents

/// What the tenant used in a period, per meter, model and version (billing's hourly aggregates).
struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Usage by meter, model and version in a billing period.")
    @Option(help: "The period, YYYY-MM (default: this month).") var period: String?
    @Option(help: "predictions, training_seconds, dataset_rows, storage_gb_months …") var meter: String?
    @Option(help: "Only this model.") var model: String?
    @OptionGroup var connection: Connection

    func run() async throws {
        let query = [("period", period), ("meter", meter), ("model", model)].compactMap { name, value in value.map { "\(name)=\($0.pathSegment)" } }
        let page = try await connection.client.call("GET", .billing, "/v1/billing/usage" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
                                                    key: try connection.apiKey())
        if connection.json { return Terminal.line(page.pretty()) }
        Terminal.line("usage of \(Format.cell(page["tenant_id"])) in \(Format.cell(page["period"]))")
        Table(["meter", "model", "version", "quantity"], rows: page.items.map {
            [Format.cell($0["meter"]), Format.cell($0["model_name"]), Format.cell($0["model_version"]), Format.cell($0["quantity"])]
        }).print()
    }
}

/// Invoices: final ones, or a period's draft while it is open.
struct Invoices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The tenant's invoices, or one period's (its draft while the period is open).")
    @Argument(help: "A period, YYYY-MM.") var period: String?
    @OptionGroup var connection: Connection

    func run() async throws {
        let key = try connection.apiKey()
        guard let period else {
            let items = try await connection.client.all(.billing, "/v1/billing/invoices", key: key)
            if connection.json { return Terminal.line(JSONValue.array(items).pretty()) }
            return Table(["invoice", "period", "status", "plan", "total"], rows: items.map {
                [Format.cell($0["invoice_id"]), Format.cell($0["period"]), Format.cell($0["status"]), Format.cell($0["plan_id"]),
                 "\(Format.cell($0["total"])) \(Format.cell($0["currency"]))"]
            }).print()
        }
        let invoice = try await connection.client.call("GET", .billing, "/v1/billing/invoices/\(period.pathSegment)", key: key)
        if connection.json { return Terminal.line(invoice.pretty()) }
        Self.print(invoice)
    }

    static func print(_ invoice: JSONValue) {
        Terminal.line("invoice \(Format.cell(invoice["invoice_id"])) · \(Format.cell(invoice["period"])) · \(Format.cell(invoice["status"])) · plan \(Format.cell(invoice["plan_id"]))")
        Table(["meter", "model", "version", "quantity", "amount"], rows: (invoice["lines"]?.array ?? []).map {
            [Format.cell($0["meter"]), Format.cell($0["model_name"]), Format.cell($0["model_version"]), Format.cell($0["quantity"]), Format.cell($0["amount"])]
        }).print()
        Terminal.line(Terminal.styled("total \(Format.cell(invoice["total"])) \(Format.cell(invoice["currency"]))", .bold))
    }
}
