"""The fleet with OpenTelemetry, as FastStream documents it: the broker's
`TelemetryMiddleware` (`NatsTelemetryMiddleware`,
`KafkaTelemetryMiddleware`) with a tracer provider (an in-memory exporter
here, for the test to read). FLEET_BROKER picks the broker (nats, the
default, or kafka). Nothing here is adapted to the Rust side.

tests/interop/tests/fleet_tracing.rs runs a Rust service generated from
the fleet's export between this process's publisher and its subscriber:

  python tracing.py    subscribes to fleet-orders-done, prints "ready";
                       on a line "go ORDER_ID" from standard input,
                       publishes that order to fleet-orders, waits for
                       the Rust service's answer on fleet-orders-done,
                       and prints every finished span as one JSON line
"""

import asyncio
import json
import os
import sys
from typing import Optional
from uuid import UUID

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, Field

KIND = os.environ.get("FLEET_BROKER", "nats")

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))

if KIND == "kafka":
    from faststream.kafka import KafkaBroker
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

    broker = KafkaBroker(
        os.environ.get("FLEET_URL", "127.0.0.1:9092"),
        middlewares=(KafkaTelemetryMiddleware(tracer_provider=provider),),
    )
else:
    from faststream.nats import NatsBroker
    from faststream.nats.opentelemetry import NatsTelemetryMiddleware

    broker = NatsBroker(
        os.environ.get("FLEET_URL", "nats://127.0.0.1:4222"),
        middlewares=(NatsTelemetryMiddleware(tracer_provider=provider),),
    )
answered = asyncio.Event()


class Order(BaseModel):
    order_id: UUID
    quantity: int = Field(ge=1)
    note: Optional[str] = None


class Accepted(BaseModel):
    order_id: UUID
    total: float


@broker.subscriber("fleet-orders-done")
async def done(accepted: Accepted) -> None:
    answered.set()


def span_json(span):
    parent = span.parent
    return {
        "name": span.name,
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
        "parent_id": format(parent.span_id, "016x") if parent else None,
        "kind": span.kind.name,
    }


async def main():
    async with broker:
        await broker.start()
        if KIND == "nats":
            # Core NATS drops what arrives before the server has the
            # subscription.
            await broker.connection.flush()
        print("ready", flush=True)
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        order_id = line.split()[1]
        await broker.publish(Order(order_id=UUID(order_id), quantity=2), "fleet-orders")
        await asyncio.wait_for(answered.wait(), timeout=20)
        # The subscriber's span ends after its handler returns.
        await asyncio.sleep(0.5)
        spans = [span_json(s) for s in exporter.get_finished_spans()]
        print(json.dumps(spans), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
