//! Closing connections whose request body was left unread.
//!
//! A handler may answer before it has read the whole body: 413 while an upload streams, 415
//! once its first bytes are sniffed, 401 or 404 before it starts, a route that takes no body
//! at all. Left to itself, actix-http keeps such a connection open to drain a chunked body it
//! no longer has a reader for, but it is not woken to do so once its read buffer is full: the
//! connection then hangs with its file descriptor for as long as the client keeps it.
//!
//! This middleware keeps the request body alive until the response has been written. The
//! server then sees a body that is still wanted but unfinished when the response ends, so it
//! answers with `Connection: close`, reads and discards what the client still sends for at
//! most the disconnect timeout (one second), and closes: a lingering close, which gives the
//! client time to read the answer before the connection goes (RFC 9112 §9.6). Bodies that were
//! read to their end are unaffected, and the connection stays open for the next request.
//!
//! The body handlers read is also paced ([`crate::body_pace`]): a client that stops sending
//! or trickles fails the request with a timeout instead of holding it.

use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, web};

use crate::body_pace::{BodyPace, Pacer};
use futures::Stream;

/// Holds the request body (when there is one) until the response has been sent.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let pace = req
        .app_data::<web::Data<BodyPace>>()
        .map(|pace| Pacer::new(pace.get_ref().clone()));
    let held = Rc::new(RefCell::new(payload));
    req.set_payload(Payload::Stream {
        payload: Box::pin(SharedBody {
            body: held.clone(),
            pace,
        }),
    });
    // Errors from the middlewares inside go out as they are: the handlers' own errors are
    // already responses here.
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(res.map_body(|_, body| {
        BoxBody::new(HeldUntilSent {
            body,
            _request_body: held,
        })
    }))
}

/// The request body as the handlers read it, one owner shared with the middleware, paced.
struct SharedBody {
    body: Rc<RefCell<Payload>>,
    pace: Option<Pacer>,
}

impl Stream for SharedBody {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut *this.body.borrow_mut()).poll_next(cx);
        match &mut this.pace {
            Some(pacer) => pacer.watch(polled, cx),
            None => polled,
        }
    }
}

/// A response body that keeps the request body alive until it has been sent and dropped.
struct HeldUntilSent {
    body: BoxBody,
    _request_body: Rc<RefCell<Payload>>,
}

impl MessageBody for HeldUntilSent {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
