import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IntelliCoreEvents

/// The services' HTTP APIs, as any outside client calls them. Error answers become `CLIError`s
/// that say what to do next.
struct PlatformClient: Sendable {
    let connection: Connection

    struct Answer: Sendable {
        let status: Int
        let data: Data
        var json: JSONValue { JSONValue.parse(data) ?? .null }
    }

    /// A JSON request (or none); throws unless the answer is 2xx.
    @discardableResult
    func call(_ method: String, _ endpoint: Endpoint, _ path: String, key: String?, body: JSONValue? = nil,
              headers: [String: String] = [:]) async throws -> JSONValue {
        var headers = headers
        var data: Data?
        if let body {
            data = try JSONEncoder().encode(body)
            headers["Content-Type"] = "application/json"
        }
        return try await send(method, endpoint, path, key: key, body: data.map { .data($0) }, headers: headers).json
    }

    enum Body {
        case data(Data)
        case file(URL)
    }

    func send(_ method: String, _ endpoint: Endpoint, _ path: String, key: String?, body: Body? = nil,
              headers: [String: String] = [:], timeout: TimeInterval = 60) async throws -> Answer {
        let address = connection.baseURL(endpoint) + path
        guard let url = URL(string: address) else { throw CLIError(.refused, "not an address: \(address)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let data: Data
        let response: URLResponse
        do {
            switch body {
            case .data(let bytes)?:
                request.httpBody = bytes
                (data, response) = try await URLSession.shared.data(for: request)
            case .file(let file)?:
                (data, response) = try await URLSession.shared.upload(for: request, fromFile: file)
            case nil:
                (data, response) = try await URLSession.shared.data(for: request)
            }
        } catch {
            throw CLIError(.unavailable, "\(endpoint.rawValue) at \(connection.baseURL(endpoint)) did not answer \(method) \(path): \(error.localizedDescription)",
                           hint: "is the platform running? `./intellicore dev status` (or pass --url / INTELLICORE_URL)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let answer = Answer(status: status, data: data)
        guard (200..<300).contains(status) else { throw Self.error(for: answer, method: method, path: path, endpoint: endpoint) }
        return answer
    }

    /// The services answer errors as `{"error": {"code", "message"}}`.
    static func error(for answer: Answer, method: String, path: String, endpoint: Endpoint) -> CLIError {
        let error = answer.json["error"]
        let code = error?["code"]?.string ?? "http_\(answer.status)"
        let message = error?["message"]?.string ?? String(decoding: answer.data.prefix(300), as: UTF8.self)
        let what = "\(method) \(path) → \(answer.status) \(code): \(message)"
        switch answer.status {
        case 401:
            return CLIError(.refused, what, hint: "the key is missing, unknown or revoked: pass --key or set INTELLICORE_KEY")
        case 403:
            return CLIError(.refused, what, hint: "the key's role may not do this: use a developer or admin key of the tenant")
        case 404:
            return CLIError(.refused, what, hint: "check the name; lists: `intellicore datasets list`, `intellicore models list`")
        case 429:
            return CLIError(.refused, what, hint: "the tenant's rate limit or quota is reached: wait, or raise it on the tenant's plan")
        case 400..<500:
            return CLIError(.refused, what)
        default:
            return CLIError(.unavailable, "\(endpoint.rawValue): \(what)", hint: "the service failed; its log: `./intellicore dev logs \(endpoint.rawValue)`")
        }
    }

    /// Every page of a paginated list (`items`, `next_cursor`), up to `limit` items.
    func all(_ endpoint: Endpoint, _ path: String, key: String, limit: Int = 1000) async throws -> [JSONValue] {
        var items: [JSONValue] = []
        var cursor: String?
        repeat {
            let separator = path.contains("?") ? "&" : "?"
            let page = try await call("GET", endpoint, path + (cursor.map { "\(separator)cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""), key: key)
            items += page.items
            cursor = page["next_cursor"]?.string
        } while cursor != nil && items.count < limit
        return items
    }
}

extension String {
    /// A path segment with anything but unreserved characters escaped.
    var pathSegment: String { addingPercentEncoding(withAllowedCharacters: .urlUnreservedAllowed) ?? self }
}

extension CharacterSet {
    static let urlUnreservedAllowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
