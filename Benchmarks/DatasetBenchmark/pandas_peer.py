"""The Python peer of dataset-benchmark: read a CSV with pandas and produce its rows to Kafka
with confluent-kafka in the same batches ingestion sends (DatasetRecordsAppended payloads of
--batch rows, keyed by dataset id), then wait for every acknowledgement. Prints JSON figures."""
import argparse
import json
import time

import pandas as pd
from confluent_kafka import Producer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--batch", type=int, default=1000)
    args = parser.parse_args()

    start = time.perf_counter()
    frame = pd.read_csv(args.csv)
    read = time.perf_counter()
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True, "linger.ms": 5,
                         "queue.buffering.max.kbytes": 262144})
    failures = []

    def delivered(error, _message):
        if error is not None:
            failures.append(str(error))

    rows = len(frame)
    for first in range(0, rows, args.batch):
        batch = frame.iloc[first:first + args.batch].to_json(orient="values")
        payload = ('{"dataset_id":"bench","version":1,"schema_version":1,"first_row":%d,"rows":%s}' % (first, batch)).encode()
        while True:
            try:
                producer.produce(args.topic, payload, key=b"bench", on_delivery=delivered)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    producer.flush()
    done = time.perf_counter()
    if failures:
        raise SystemExit(f"{len(failures)} batches not delivered: {failures[0]}")
    print(json.dumps({"rows": rows, "seconds": done - start, "read_seconds": read - start, "produce_seconds": done - read}))


if __name__ == "__main__":
    main()
