"""The Python peer of inference-benchmark: a plain Kafka worker that does what the inference
service does on its common path, the way one would write it with confluent-kafka and numpy —
consume PredictionRequested records in micro-batches, run the same MLP on the batch with numpy,
produce one PredictionCompleted per request (binary-mode CloudEvent, the request's key) — with no
validation, routing, caching or dead-lettering. It reads the benchmark's requests from the
offsets given, answers on its own topic, and stops after --count requests. Prints JSON figures.

    python_worker.py --bootstrap HOST:PORT --topic REQUESTS --results TOPIC --starts 0:10,1:12
                     --weights model.json --count N [--batch 512]
"""
import argparse
import json
import time
import uuid
from datetime import datetime, timezone

import numpy as np
from confluent_kafka import Consumer, Producer, TopicPartition

ACTIVATIONS = {
    "identity": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "softmax": lambda x: (lambda e: e / e.sum(axis=1, keepdims=True))(np.exp(x - x.max(axis=1, keepdims=True))),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--results", required=True)
    parser.add_argument("--starts", required=True, help="partition:offset,… where this run's requests begin")
    parser.add_argument("--weights", required=True, help="the model's layers as JSON")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch", type=int, default=512)
    args = parser.parse_args()

    with open(args.weights) as handle:
        spec = json.load(handle)
    layers = [(np.array(layer["weights"], dtype=np.float32).reshape(layer["outputs"], layer["inputs"]).T.copy(),
               np.array(layer["bias"], dtype=np.float32), ACTIVATIONS[layer["activation"]]) for layer in spec["layers"]]
    width = spec["layers"][0]["inputs"]

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": f"python-peer-{uuid.uuid4()}",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 10, "auto.offset.reset": "earliest"})
    starts = [tuple(map(int, item.split(":"))) for item in args.starts.split(",") if item]
    consumer.assign([TopicPartition(args.topic, partition, offset) for partition, offset in starts])
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5, "queue.buffering.max.kbytes": 262144,
                         "queue.buffering.max.messages": 1000000})

    processed = 0
    started = None
    while processed < args.count:
        messages = [m for m in consumer.consume(num_messages=args.batch, timeout=0.1) if m.error() is None]
        if not messages:
            continue
        if started is None:
            started = time.perf_counter()
        requests = [json.loads(m.value()) for m in messages]
        rows = [np.asarray(r["inputs"][0]["data"], dtype=np.float32).reshape(-1, width) for r in requests]
        x = np.concatenate(rows)
        for weights, bias, activation in layers:
            x = activation(x @ weights + bias)
        now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        row = 0
        for message, request, inputs in zip(messages, requests, rows):
            output = x[row:row + len(inputs)]
            row += len(inputs)
            headers = dict(message.headers() or [])
            body = json.dumps({"id": request.get("id", ""), "model_name": request["model_name"], "model_version": "1",
                               "outputs": [{"name": "probabilities", "shape": list(output.shape), "datatype": "FP32",
                                            "data": output.ravel().tolist()}]})
            producer.produce(args.results, body, key=message.key(), headers=[
                ("ce_specversion", b"1.0"), ("ce_id", headers.get("ce_id", b"") + b"/result"), ("ce_source", b"/python-peer"),
                ("ce_type", b"intellicore.prediction.completed.v1"), ("ce_time", now.encode()),
                ("ce_subject", headers.get("ce_subject", b"")), ("ce_tenantid", headers.get("ce_tenantid", b"")),
                ("content-type", b"application/json")])
        producer.poll(0)
        processed += len(messages)
    remaining = producer.flush(60)
    elapsed = time.perf_counter() - started
    consumer.close()
    print(json.dumps({"processed": processed, "seconds": elapsed, "per_second": processed / elapsed, "undelivered": remaining}))


if __name__ == "__main__":
    main()
