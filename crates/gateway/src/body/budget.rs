//! A memory budget for the brotli decoder. A brotli stream names its own window (up to 16 MiB,
//! RFC 7932 §9.1) and each meta-block its length, and the decoder sizes its ring buffer from
//! them: a 2 KB stream can make it allocate 16 MiB before one byte comes out. Decoding into a
//! capped buffer stops the *output*; these allocators stop the *allocations*, so a stream that
//! asks for more memory than a JSON body of the allowed size needs is refused instead.

use std::cell::Cell;
use std::rc::Rc;

use brotli::{Allocator, HuffmanCode, SliceWrapper, SliceWrapperMut};

/// Bytes the three allocators of one decoder may hold together.
#[derive(Clone)]
pub struct Budget {
    left: Rc<Cell<usize>>,
    refused: Rc<Cell<bool>>,
}

impl Budget {
    pub fn new(bytes: usize) -> Self {
        Self {
            left: Rc::new(Cell::new(bytes)),
            refused: Rc::new(Cell::new(false)),
        }
    }

    /// Whether an allocation was refused (the stream wanted more than the budget).
    pub fn exceeded(&self) -> bool {
        self.refused.get()
    }

    fn take(&self, bytes: usize) -> bool {
        match self.left.get().checked_sub(bytes) {
            Some(left) => {
                self.left.set(left);
                true
            }
            None => {
                self.refused.set(true);
                false
            }
        }
    }

    fn give(&self, bytes: usize) {
        self.left.set(self.left.get() + bytes);
    }
}

/// A heap block handed out by [`Budget`]; empty when the budget said no, which the decoder
/// reports as an allocation failure.
pub struct Block<T>(Box<[T]>);

impl<T> Default for Block<T> {
    fn default() -> Self {
        Self(Vec::new().into_boxed_slice())
    }
}

impl<T> SliceWrapper<T> for Block<T> {
    fn slice(&self) -> &[T] {
        &self.0
    }
}

impl<T> SliceWrapperMut<T> for Block<T> {
    fn slice_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T> From<Vec<T>> for Block<T> {
    fn from(v: Vec<T>) -> Self {
        Self(v.into_boxed_slice())
    }
}

impl<T: Clone + Default> Allocator<T> for Budget {
    type AllocatedMemory = Block<T>;

    fn alloc_cell(&mut self, len: usize) -> Block<T> {
        let bytes = len.saturating_mul(std::mem::size_of::<T>());
        if len == 0 || !self.take(bytes) {
            return Block::default();
        }
        Block(vec![T::default(); len].into_boxed_slice())
    }

    fn free_cell(&mut self, block: Block<T>) {
        self.give(block.0.len() * std::mem::size_of::<T>());
    }
}

/// The brotli decoder over a budget, writing into `W`.
pub type BrotliDecoder<W> =
    brotli::DecompressorWriterCustomIo<std::io::Error, W, Block<u8>, Budget, Budget, Budget>;

/// A decoder writing into `sink` whose allocations stay within `budget`.
pub fn brotli_decoder<W: brotli::CustomWrite<std::io::Error>>(
    sink: W,
    budget: &Budget,
) -> BrotliDecoder<W> {
    brotli::DecompressorWriterCustomIo::new(
        sink,
        Block::from(vec![0u8; OUTPUT_BUFFER]),
        budget.clone(),
        budget.clone(),
        budget.clone(),
        std::io::Error::new(std::io::ErrorKind::InvalidData, "invalid brotli stream"),
    )
}

/// Size of the decoder's output buffer, outside the budget.
const OUTPUT_BUFFER: usize = 4096;

/// `HuffmanCode` must be a plain value for the budget's `Allocator` impl.
const _: fn() = || {
    fn plain<T: Clone + Default>() {}
    plain::<HuffmanCode>();
};
