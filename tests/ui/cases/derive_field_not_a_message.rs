use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Plain {
    id: String,
}

#[derive(Serialize, Deserialize, faststream::Message)]
struct Order {
    item: Plain,
}

fn main() {}
