import Foundation
import Hummingbird
import IntelliCoreServiceKit

/// `GET /openapi.json`: the OpenAPI 3.1 document of this API (`HTTP/openapi.json`, shipped as
/// the executable's resource), unauthenticated so that tools can read it.
enum OpenAPIRoute {
    struct MissingDocument: Error, CustomStringConvertible {
        let description = "openapi.json is missing from the ingestion executable's resources (IntelliCore_Ingestion.resources next to it)"
    }

    static func add(to router: Router<APIRequestContext>) throws {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else { throw MissingDocument() }
        let document = ByteBuffer(bytes: try Data(contentsOf: url))
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: document))
        }
    }
}
