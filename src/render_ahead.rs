//! Output rendered on the thread pool a batch ahead of the thread writing
//! it: a million-profile plan is half a gigabyte of JSON and its report a
//! third of one, and rendering, hashing and writing them on one thread held
//! up the run for seconds.

/// Renders `batches` with `render` on the thread pool, each batch while
/// the one before it goes to `pass_on` on the calling thread, and passes
/// them on in order, stopping at the first error `pass_on` returns (a
/// failed rendering is a rendered value `pass_on` refuses). Only one batch
/// waits at a time, so a batch's size bounds the memory.
pub fn render_ahead<B: Send, T: Send, E>(
    batches: impl IntoIterator<Item = B>,
    render: impl Fn(B) -> T + Sync,
    mut pass_on: impl FnMut(T) -> Result<(), E>,
) -> Result<(), E> {
    let mut batches = batches.into_iter();
    let Some(first) = batches.next() else {
        return Ok(());
    };
    let mut current = render(first);
    loop {
        let mut next = None;
        let mut passed_on = Ok(());
        rayon::in_place_scope(|scope| {
            if let Some(batch) = batches.next() {
                let (render, next) = (&render, &mut next);
                scope.spawn(move |_| *next = Some(render(batch)));
            }
            passed_on = pass_on(current);
        });
        passed_on?;
        match next {
            Some(rendered) => current = rendered,
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_passed_on_in_order() {
        let mut seen = Vec::new();
        let result: Result<(), ()> = render_ahead(
            (0..50).map(|batch| batch * 10..batch * 10 + 10),
            |range| range.map(|n| n * 2).collect::<Vec<_>>(),
            |rendered| {
                seen.extend(rendered);
                Ok(())
            },
        );
        assert_eq!(result, Ok(()));
        assert_eq!(seen, (0..500).map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn no_batches_pass_on_nothing() {
        let result: Result<(), ()> = render_ahead(
            std::iter::empty::<u8>(),
            |_| (),
            |_| panic!("nothing to pass on"),
        );
        assert_eq!(result, Ok(()));
    }

    #[test]
    fn an_error_stops_the_run_at_its_batch() {
        let mut passed = Vec::new();
        let result = render_ahead(
            0..10,
            |batch| {
                if batch == 4 {
                    Err("cannot render")
                } else {
                    Ok(batch)
                }
            },
            |rendered| {
                passed.push(rendered?);
                Ok(())
            },
        );
        assert_eq!(result, Err("cannot render"));
        assert_eq!(passed, vec![0, 1, 2, 3]);
    }
}
