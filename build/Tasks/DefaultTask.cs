namespace Build.Tasks;

[TaskName("Default")]
[TaskDescription("The whole pipeline: Validate, Fetch, Pki, Render, Nginx, Images, Bundle, VerifyBundle")]
[IsDependentOn(typeof(VerifyBundleTask))]
public sealed class DefaultTask : FrostingTask<BuildContext>;
