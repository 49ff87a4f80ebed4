namespace LlcLab.Notebooks;
