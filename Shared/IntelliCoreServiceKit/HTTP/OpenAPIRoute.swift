import Foundation
import Hummingbird

/// Serves a service's OpenAPI 3.1 document (its `HTTP/openapi.json`, shipped as the executable's
/// resource) unauthenticated, so that tools can read it: at `/openapi.json` on the instance and
/// at any extra paths the ingress routes to the service (`/v1/training/openapi.json`).
public enum OpenAPIRoute {
    public struct MissingDocument: Error, CustomStringConvertible {
        public let service: String
        public var description: String { "openapi.json is missing from the \(service) executable's resources (its .resources bundle next to it)" }
    }

    /// `document` is the service's `Bundle.module.url(forResource: "openapi", withExtension: "json")`.
    public static func add(to router: Router<APIRequestContext>, document url: URL?, service: String,
                           paths: [String] = ["/openapi.json"]) throws {
        guard let url else { throw MissingDocument(service: service) }
        let document = ByteBuffer(bytes: try Data(contentsOf: url))
        for path in paths {
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
            }
        }
    }
}
