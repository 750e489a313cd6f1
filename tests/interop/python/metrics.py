"""The fleet's FastStream 0.7 service (fleet.py, on NATS) with Prometheus
metrics as FastStream documents them: `NatsPrometheusMiddleware` on a
`prometheus_client` registry given to the broker, the registry served by
`prometheus_client`'s own HTTP server. Nothing here is adapted to the Rust
side.

tests/interop/tests/fleet_metrics.rs runs it beside a Rust service
generated from the fleet's export, sends both the same messages, and
compares the metric names and label names the two expose:

  python metrics.py PORT    runs the service, serves /metrics on PORT,
                            prints "ready"
"""

import asyncio
import os
import sys
from typing import Optional
from uuid import UUID

from prometheus_client import CollectorRegistry, start_http_server
from pydantic import BaseModel, Field

from faststream import FastStream
from faststream.nats import NatsBroker
from faststream.nats.prometheus import NatsPrometheusMiddleware

URL = os.environ.get("FLEET_URL", "nats://127.0.0.1:4222")

registry = CollectorRegistry()
broker = NatsBroker(URL, middlewares=(NatsPrometheusMiddleware(registry=registry),))
app = FastStream(broker)


class Order(BaseModel):
    order_id: UUID
    quantity: int = Field(ge=1)
    note: Optional[str] = None


class Accepted(BaseModel):
    order_id: UUID
    total: float


@app.after_startup
async def ready():
    # Core NATS drops what arrives before the server has the subscription.
    await broker.connection.flush()
    print("ready", flush=True)


@broker.subscriber("fleet-orders")
@broker.publisher("fleet-orders-done")
async def take_order(order: Order) -> Accepted:
    return Accepted(order_id=order.order_id, total=order.quantity * 2.5)


if __name__ == "__main__":
    start_http_server(int(sys.argv[1]), addr="127.0.0.1", registry=registry)
    asyncio.run(app.run())
