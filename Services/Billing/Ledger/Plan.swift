import Foundation
import IntelliCoreEvents
import IntelliCoreServiceKit

/// A price plan: per meter, an allowance, a pricing unit, graduated tiers and a hard limit, in
/// one currency. Prices are decimal strings ("0.50") and computed with `Decimal`, never floating
/// point. Quantities are in the meter's units (predictions, seconds, rows).
struct Plan: Codable, Sendable, Hashable {
    struct Tier: Codable, Sendable, Hashable {
        /// Priced units up to this many (cumulative); nil for the last, open-ended tier.
        var upTo: Decimal?
        /// Price of one priced unit in this tier.
        var unitPrice: Decimal

        init(upTo: Decimal?, unitPrice: Decimal) {
            self.upTo = upTo
            self.unitPrice = unitPrice
        }

        enum CodingKeys: String, CodingKey { case upTo, unitPrice }

        // Amounts travel as decimal strings, exactly.
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            upTo = try container.decodeIfPresent(String.self, forKey: .upTo).flatMap { Decimal(string: $0) }
            unitPrice = Decimal(string: try container.decode(String.self, forKey: .unitPrice)) ?? 0
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(upTo?.text, forKey: .upTo)
            try container.encode(unitPrice.text, forKey: .unitPrice)
        }
    }

    struct MeterPrice: Codable, Sendable, Hashable {
        /// Quantity free each period.
        var included: Decimal
        /// Quantity per priced unit: 1000 for "per 1,000 predictions", 3600 for "per training hour".
        var unit: Decimal
        var tiers: [Tier]
        /// The most a tenant may use per period; nil for no limit.
        var hardLimit: Decimal?

        init(included: Decimal, unit: Decimal, tiers: [Tier], hardLimit: Decimal?) {
            self.included = included
            self.unit = unit
            self.tiers = tiers
            self.hardLimit = hardLimit
        }

        enum CodingKeys: String, CodingKey { case included, unit, tiers, hardLimit }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            included = Decimal(string: try container.decode(String.self, forKey: .included)) ?? 0
            unit = Decimal(string: try container.decode(String.self, forKey: .unit)) ?? 1
            tiers = try container.decode([Tier].self, forKey: .tiers)
            hardLimit = try container.decodeIfPresent(String.self, forKey: .hardLimit).flatMap { Decimal(string: $0) }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(included.text, forKey: .included)
            try container.encode(unit.text, forKey: .unit)
            try container.encode(tiers, forKey: .tiers)
            try container.encodeIfPresent(hardLimit?.text, forKey: .hardLimit)
        }
    }

    var planId: String
    var currency: String
    var meters: [String: MeterPrice]

    /// The charge for `quantity` of `meter` in one period: the allowance first, then the priced
    /// units through the tiers in order, rounded to cents at the end.
    func charge(_ meter: UsageMeter, quantity: Decimal) -> (amount: Decimal, billableUnits: Decimal) {
        guard let price = meters[meter.rawValue] else { return (0, 0) }
        let billable = max(0, quantity - price.included)
        let units = billable / price.unit
        var remaining = units, covered: Decimal = 0, amount: Decimal = 0
        for tier in price.tiers where remaining > 0 {
            let width = tier.upTo.map { max(0, $0 - covered) } ?? remaining
            let taken = min(width, remaining)
            amount += taken * tier.unitPrice
            remaining -= taken
            covered += taken
        }
        return (amount.rounded(scale: 2), units)
    }
}

extension Decimal {
    /// Rounded to `scale` decimal places (half away from zero unless told otherwise).
    func rounded(scale: Int, mode: NSDecimalNumber.RoundingMode = .plain) -> Decimal {
        var value = self, result = Decimal()
        NSDecimalRound(&result, &value, scale, mode)
        return result
    }

    /// The plain decimal text (`12.30` keeps what the value holds: `12.3`).
    var text: String { NSDecimalNumber(decimal: self).stringValue }
}

/// `POST /v1/billing/plans`: a plan as an administrator writes it, prices as decimal strings.
struct PlanDefinition: ClosedJSONObject {
    struct Tier: ClosedJSONObject {
        let upTo: String?
        let unitPrice: String
        enum CodingKeys: String, CodingKey, CaseIterable { case upTo = "up_to", unitPrice = "unit_price" }
        static let fields = fieldNames(CodingKeys.self)
    }

    struct Meter: ClosedJSONObject {
        let included: String?
        let unit: String?
        let tiers: [Tier]?
        let hardLimit: String?
        enum CodingKeys: String, CodingKey, CaseIterable { case included, unit, tiers, hardLimit = "hard_limit" }
        static let fields = fieldNames(CodingKeys.self)
    }

    let planId: String
    let currency: String
    let meters: [String: Meter]

    enum CodingKeys: String, CodingKey, CaseIterable { case planId = "plan_id", currency, meters }
    static let fields = fieldNames(CodingKeys.self)

    /// Whether `pattern` matches all of `text` (`$` alone would also accept a trailing line break).
    static func whole(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) == text.startIndex..<text.endIndex
    }

    /// The plan, or a 422 naming the first field that is wrong.
    func validated() throws -> Plan {
        func invalid(_ field: String, _ problem: String) -> APIError {
            APIError.unprocessable("\(field) \(problem)", code: "invalid_field", details: ["field": field])
        }
        func amount(_ text: String?, _ field: String, default value: Decimal? = nil) throws -> Decimal? {
            guard let text else { return value }
            guard Self.whole(text, #"^[0-9]{1,15}(\.[0-9]{1,6})?$"#), let number = Decimal(string: text) else {
                throw invalid(field, "must be a non-negative decimal written as a string, like \"0.50\"")
            }
            return number
        }
        guard Self.whole(planId, #"^[a-z0-9][a-z0-9_-]{0,62}$"#) else {
            throw invalid("plan_id", "must be 1 to 63 lowercase letters, digits, _ or -")
        }
        guard Self.whole(currency, #"^[A-Z]{3}$"#) else { throw invalid("currency", "must be an ISO 4217 code like EUR") }
        var prices: [String: Plan.MeterPrice] = [:]
        for (name, meter) in meters {
            guard UsageMeter(rawValue: name) != nil else {
                throw invalid("meters.\(name)", "is not a meter; they are \(UsageMeter.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let unit = try amount(meter.unit, "meters.\(name).unit", default: 1)!
            guard unit > 0 else { throw invalid("meters.\(name).unit", "must be above 0") }
            var tiers: [Plan.Tier] = []
            var previous: Decimal = 0
            for (index, tier) in (meter.tiers ?? []).enumerated() {
                let field = "meters.\(name).tiers[\(index)]"
                let upTo = try amount(tier.upTo, "\(field).up_to")
                if let upTo { guard upTo > previous else { throw invalid("\(field).up_to", "must grow from tier to tier") }; previous = upTo }
                guard upTo != nil || index == (meter.tiers?.count ?? 0) - 1 else { throw invalid("\(field).up_to", "may be absent on the last tier only") }
                tiers.append(Plan.Tier(upTo: upTo, unitPrice: try amount(tier.unitPrice, "\(field).unit_price")!))
            }
            prices[name] = Plan.MeterPrice(included: try amount(meter.included, "meters.\(name).included", default: 0)!, unit: unit, tiers: tiers,
                                           hardLimit: try amount(meter.hardLimit, "meters.\(name).hard_limit"))
        }
        return Plan(planId: planId, currency: currency, meters: prices)
    }
}
