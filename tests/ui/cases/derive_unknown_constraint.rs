use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, faststream::Message)]
struct Order {
    #[message(min_lenght = 1)]
    id: String,
}

fn main() {}
