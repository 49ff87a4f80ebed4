using Xunit;

// TorchSharp 0.107 turns C# numbers into native Scalar temporaries and reads their handles before the native call; nothing keeps a
// temporary alive during the call, so a GC started by another test thread can finalise it mid-call ("Expected false to be true" from
// c10::Scalar::toDouble, seen in LinearProbe's loss and inside TorchSharp's own Adam.step, 2 of 450 tests per run on a loaded machine,
// different tests each time, all passing when re-run). Our hot loops hold their scalars (Runtime/Scalars); TorchSharp's optimisers cannot.
// One test thread removes the other allocating thread. The tests stay deterministic either way; they are run one at a time for this.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
