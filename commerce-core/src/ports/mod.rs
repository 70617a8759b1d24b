//! Ports: the traits that storage backends and payment adapters implement.
//!
//! Ports are operation-shaped: what must be atomic is one method with a documented contract.
//! No transaction handle ever crosses a port.

pub mod clock;
pub mod gateway;
pub mod storage;

pub use clock::{Clock, FixedClock, IdGenerator, SequentialIds, SystemClock};
pub use gateway::{
    CaptureMode, CapturePayment, GatewayCapabilities, GatewayError, GatewayPayment, GatewayRefund,
    Notification, NotificationRequest, PaymentGateway, RefundPayment, StartPayment,
};
