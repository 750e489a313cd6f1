use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, faststream::Message)]
struct Order {
    #[message(min_length = 1)]
    quantity: u32,
    #[message(minimum = 1)]
    id: String,
}

fn main() {}
