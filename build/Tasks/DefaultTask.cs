namespace Build.Tasks;

[TaskName("Default")]
[TaskDescription("The default target: Validate (grows into Bundle as the pipeline lands)")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class DefaultTask : FrostingTask<BuildContext>;
