use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, faststream::Message)]
struct Order {
    #[serde(rename(serialize = "orderId", deserialize = "order_id"))]
    id: String,
}

fn main() {}
