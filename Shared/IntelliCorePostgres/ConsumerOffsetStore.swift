import Logging
import PostgresNIO

/// Consumer offsets kept in a service's own schema, written in the transaction of the effects
/// they cover, so that effects and position can never disagree (billing's guarantee: no usage
/// counted twice or lost, whatever the broker's commits say).
public struct ConsumerOffsetStore: Sendable {
    /// The next offset to read of one partition.
    public struct Position: Sendable, Hashable {
        public var topic: String
        public var partition: Int32
        public var nextOffset: Int64

        public init(topic: String, partition: Int32, nextOffset: Int64) {
            self.topic = topic
            self.partition = partition
            self.nextOffset = nextOffset
        }
    }

    public let schema: SchemaName
    /// The consumer group the offsets belong to.
    public let group: String

    public init(schema: SchemaName, group: String) {
        self.schema = schema
        self.group = group
    }

    /// Records positions on a connection in the caller's transaction. An offset never moves
    /// back: a former owner finishing a batch late cannot rewind the partition.
    public func save(_ positions: [Position], on connection: PostgresConnection, logger: Logger) async throws {
        guard !positions.isEmpty else { return }
        try await connection.query("""
            INSERT INTO \(unescaped: schema.qualified("consumer_offsets")) (consumer_group, topic, partition, next_offset)
            SELECT \(group), t, p, o FROM unnest(\(positions.map(\.topic))::text[], \(positions.map(\.partition))::int4[],
                                                 \(positions.map(\.nextOffset))::int8[]) AS x(t, p, o)
            ON CONFLICT (consumer_group, topic, partition)
            DO UPDATE SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset), updated_at = now()
            """, logger: logger)
    }

    /// The stored positions of `partitions` (topic, partition) that have one.
    public func load(_ partitions: [(topic: String, partition: Int32)], client: PostgresClient, logger: Logger) async throws -> [Position] {
        guard !partitions.isEmpty else { return [] }
        let rows = try await client.query("""
            SELECT o.topic, o.partition, o.next_offset FROM \(unescaped: schema.qualified("consumer_offsets")) o
            JOIN unnest(\(partitions.map(\.topic))::text[], \(partitions.map(\.partition))::int4[]) AS x(t, p)
              ON o.topic = x.t AND o.partition = x.p
            WHERE o.consumer_group = \(group)
            """, logger: logger)
        var positions: [Position] = []
        for try await (topic, partition, offset) in rows.decode((String, Int32, Int64).self) {
            positions.append(Position(topic: topic, partition: partition, nextOffset: offset))
        }
        return positions
    }
}
