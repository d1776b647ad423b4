import Foundation
import Hummingbird
import IntelliCoreServiceKit

/// The dashboard: a static page (`/dashboard`, no data in it, no build step) whose script asks
/// for an API key and reads everything through the authenticated API — the initial state from
/// the JSON routes, then live updates from `GET /v1/monitoring/stream` (Server-Sent Events, read
/// with `fetch` so that the key travels in the `Authorization` header, never in a URL).
enum DashboardRoutes {
    static func add(to routes: ServiceRoutes, feed: DashboardFeed) throws {
        for (path, file, type) in [("/dashboard", "index.html", "text/html; charset=utf-8"),
                                   ("/dashboard/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
                                   ("/dashboard/dashboard.css", "dashboard.css", "text/css; charset=utf-8")] {
            guard let url = Bundle.module.url(forResource: "Dashboard/\(file)", withExtension: nil) else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Dashboard/\(file)"])
            }
            let bytes = ByteBuffer(bytes: try Data(contentsOf: url))
            routes.router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: bytes))
            }
        }
        /// `GET /v1/monitoring/stream`: the tenant's live events (see `DashboardFeed`).
        routes.api.get("/v1/monitoring/stream") { _, context in
            let caller = try context.requireCaller(.viewer)
            let stream = feed.subscribe(tenant: caller.tenantId)
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                for await frame in stream { try await writer.write(ByteBuffer(string: frame)) }
                                try await writer.finish(nil)
                            })
        }
    }
}
