//! A service whose handler trait and types a build script generates.

pub mod orders {
    faststream::include_generated!("orders");
}

fn main() {
    let order: orders::models::Order =
        faststream::serde_json::from_str(r#"{"id": "o-1", "quantity": 2}"#).unwrap();
    println!("{order:?}");
}
