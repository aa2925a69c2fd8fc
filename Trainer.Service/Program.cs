using Trainer.Service.Apis;
using Trainer.Service.Cluster;
using Trainer.Service.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
if (!await WorkerPreflight.PassesAsync(app)) return 2;

app.UseHeadsErrorHandling();
app.MapDefaultEndpoints();
app.MapApiExplorer();
app.MapDiagnosticsApi();
app.MapTrainingJobsApi();

app.Run();
return 0;
