using System.Runtime.CompilerServices;

// The training tests check the update rules and kernels directly against torch.optim.
[assembly: InternalsVisibleTo("Heads.Training.Tests")]
