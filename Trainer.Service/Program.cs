using Trainer.Service.Apis;
using Trainer.Service.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseHeadsErrorHandling();
app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapDiagnosticsApi();
app.MapTrainingJobsApi();

app.Run();
