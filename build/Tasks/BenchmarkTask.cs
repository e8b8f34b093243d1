namespace Build.Tasks;

[TaskName("Benchmark")]
[TaskDescription("Every benchmark: downloads, image pulls and bundling, each against a naive baseline measured in the same run")]
[IsDependentOn(typeof(BenchmarkFetchTask))]
[IsDependentOn(typeof(BenchmarkImagesTask))]
[IsDependentOn(typeof(BenchmarkBundleTask))]
public sealed class BenchmarkTask : FrostingTask<BuildContext>;
